"""likstall — is support for victims of violence given equally in every district?

Public API (each command of the `likstall` tool is also a function here):

    likstall.ingest(paths, db, extract_date=...)   # validate, pseudonymise, load
    likstall.make_release(db, year)                # the year's release, protected with all earlier ones
    likstall.load_release(db, year)                # a stored release: what every output renders
    likstall.draft(db, year)                       # the same, not stored, marked UTKAST
    likstall.follow_up(db, year)                   # the latest release, else a draft
    likstall.publish(db, year, out)                # make_release, and write its tables.csv
    likstall.audit(db)                             # the attacker over everything released
    likstall.quarantine(db)                        # the quarantined rows, as a DataFrame
    likstall.write_demo_data(out_dir, seed=...)    # the calibrated synthetic data set
    likstall.contract_schema()                     # the import contract as JSON Schema

Names are imported on first use, so `likstall --help` does not pay for pandas and statsmodels.
"""

from importlib import import_module

from .heap import fresh_large_blocks, zero_duckdb_allocations

__version__ = "0.1.0"

# Before any input is read: large blocks always fresh from the kernel, and DuckDB's own allocations
# zeroed (see heap.py for why).
fresh_large_blocks()
zero_duckdb_allocations()

_LAZY = {
    "ingest": ("likstall.ingest.load", "ingest"),
    "IngestResult": ("likstall.ingest.load", "IngestResult"),
    "quarantine": ("likstall.ingest.quarantine", "quarantine"),
    "write_demo_data": ("likstall.demo.write", "write_demo_data"),
    "contract_schema": ("likstall.contract.schema", "contract_schema"),
    "publish": ("likstall.publish", "publish"),
    "audit": ("likstall.publish", "audit"),
    "make_release": ("likstall.release", "make_release"),
    "load_release": ("likstall.release", "load_release"),
    "draft": ("likstall.release", "draft"),
    "list_releases": ("likstall.release", "list_releases"),
    "follow_up": ("likstall.release", "follow_up"),
    "catalogue": ("likstall.indicators", "catalogue"),
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str):
    if name in _LAZY:
        module, attr = _LAZY[name]
        return getattr(import_module(module), attr)
    raise AttributeError(f"module 'likstall' has no attribute {name!r}")
