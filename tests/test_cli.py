"""The command line: exit codes, one JSON object with --json, clear messages without tracebacks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import base_tables, write_tables

LIKSTALL = [sys.executable, "-m", "likstall"]


def run(*args, cwd=None, env=None):
    return subprocess.run([*LIKSTALL, *map(str, args)], capture_output=True, text=True, cwd=cwd,
                          env={**os.environ, **(env or {})}, timeout=300)


def test_ingest_json_prints_exactly_one_object(tmp_path):
    folder = write_tables(tmp_path / "e", base_tables())
    p = run("ingest", folder, "--db", tmp_path / "s.duckdb", "--extract-date", "2022-01-31", "--json")
    assert p.returncode == 0, p.stderr
    obj = json.loads(p.stdout)  # fails if anything else is printed
    for k in ("rows_read", "inserted", "updated", "unchanged", "quarantined", "by_rule"):
        assert k in obj
    assert obj["rows_read"] == obj["inserted"] + obj["updated"] + obj["unchanged"] + obj["quarantined"]


def test_ingest_errors_are_messages_not_tracebacks(tmp_path):
    bad = tmp_path / "cases.csv"
    bad.write_text("case_id,district\nAR-1,norr\n")
    p = run("ingest", bad, "--db", tmp_path / "s.duckdb", "--extract-date", "2022-01-31")
    assert p.returncode == 2
    assert "Traceback" not in p.stderr and "person_id" in p.stderr and "cases.csv" in p.stderr
    p = run("ingest", tmp_path / "missing", "--db", tmp_path / "s.duckdb")
    assert p.returncode == 2 and "finns inte" in p.stderr
    p = run("ingest", bad, "--db", tmp_path / "s.duckdb", "--extract-date", "2022-31-01")
    assert p.returncode == 2 and "ÅÅÅÅ-MM-DD" in p.stderr
    # A personnummer typed as the date is not repeated back.
    p = run("ingest", bad, "--db", tmp_path / "s.duckdb", "--extract-date", "19811231-9876")
    assert p.returncode == 2 and "ÅÅÅÅ-MM-DD" in p.stderr and "9876" not in p.stderr + p.stdout
    # Nor by click's own usage errors, which repeat what was typed.
    p = run("19811231-9876", "--db", tmp_path / "s.duckdb")
    assert p.returncode == 2 and "No such command" in p.stderr and "9876" not in p.stderr + p.stdout


def test_quarantine_lists_and_exports_without_values(tmp_path):
    t = base_tables()
    t["cases"][0]["handling_unit"] = "19850101-1234"
    folder = write_tables(tmp_path / "e", t)
    db = tmp_path / "s.duckdb"
    assert run("ingest", folder, "--db", db, "--extract-date", "2022-01-31").returncode == 0
    p = run("quarantine", "--db", db)
    assert p.returncode == 0 and "personnummer" in p.stdout and "19850101" not in p.stdout
    out = tmp_path / "q.csv"
    p = run("quarantine", "--db", db, "--csv", out)
    assert p.returncode == 0
    text = out.read_text(encoding="utf-8-sig")
    assert text.splitlines()[0] == "inläsning;fil;tabell;rad;kolumn;regel;meddelande"
    assert "19850101" not in text and "P-1" not in text


def test_schema_json_is_the_contract(tmp_path):
    p = run("schema", "--json")
    s = json.loads(p.stdout)
    assert set(s["$defs"]) == {"cases", "placements", "districts", "population", "socioeconomics"}
    cases = s["$defs"]["cases"]
    assert cases["required"] == ["case_id", "person_id", "district", "opened"]
    assert "arende_id" in cases["properties"]["case_id"]["x-aliases"]
    assert cases["properties"]["target_group"]["type"] == ["string", "null"]
    assert "sex_mot_ersattning" in cases["properties"]["target_group"]["enum"]
    assert run("schema").returncode == 0


# The demo end to end: tests/reliability/test_outputs.py (one demo run serves both its tests and that one).


def test_help_is_swedish_around_the_swedish_texts():
    for args in (("--help",), ("publish", "--help"), ("demo", "--help")):
        p = run(*args)
        assert p.returncode == 0
        assert "Användning:" in p.stdout and "Flaggor" in p.stdout and "Visa den här hjälpen" in p.stdout
        assert "Show this message" not in p.stdout and "Usage:" not in p.stdout and "Options" not in p.stdout
    assert "Kommandon" in run("--help").stdout
    assert "--ersatt" in run("demo", "--help").stdout


def test_the_demo_keeps_a_store_that_holds_more_than_it_made(demo_released, tmp_path):
    """A store with a release the demo did not make and a user: without a terminal to ask in, the demo
    refuses (exit 2, nothing changed) and says how to go on; what the demo made itself does not count."""
    import shutil

    from likstall.demo.store_guard import foreign, record
    from likstall.store.connection import connect
    from likstall.web.users import add_user

    db = tmp_path / "likstall-demo.duckdb"
    shutil.copy(demo_released, db)
    add_user(db, "anna", "admin", None, None)
    assert foreign(db) == ["1 användare (anna)", "1 releaser som demon inte gjorde (id 1)"]
    before = db.read_bytes()
    p = subprocess.run([*LIKSTALL, "demo", "--dir", str(tmp_path)], capture_output=True, text=True,
                       stdin=subprocess.DEVNULL, timeout=120)
    assert p.returncode == 2 and "--ersatt" in p.stderr and "anna" in p.stderr and "Inget har ändrats" in p.stderr
    assert db.read_bytes() == before and not (tmp_path / "likstall-demo-data").exists()
    con = connect(db)
    record(con, releases=[1], users=["anna"])
    con.close()
    assert foreign(db) == []  # what the demo made it makes again: no question


def test_next_steps_name_the_command_as_it_can_be_run(tmp_path, monkeypatch):
    """After ./demo.sh without an activated venv, `likstall` is not on PATH: the lines say its path."""
    import likstall.cli as cli

    program = Path(sys.executable).with_name("likstall")
    monkeypatch.setattr(sys, "argv", [str(program)])
    monkeypatch.setenv("PATH", str(tmp_path))  # nothing called likstall on it
    said = cli._command()
    assert said != "likstall" and Path(said).name == "likstall"
    monkeypatch.setenv("PATH", str(program.parent))
    assert cli._command() == "likstall"


def test_the_error_stream_masks_a_personnummer_split_by_colour_codes():
    # On a colour terminal Typer's highlighter wraps part of what was typed in escape codes.
    import io

    from likstall.cli import _MaskedStream

    out = io.StringIO()
    stream = _MaskedStream(out)
    stream.write("No such command '811231 \x1b[1;32m-9876\x1b[0m'.")
    stream.writelines(["plain 19811231-9876\n", "\x1b[1mbold 2021\x1b[0m\n"])
    assert "9876" not in out.getvalue() and "[dolt]" in out.getvalue()
    assert "\x1b[1mbold 2021\x1b[0m" in out.getvalue()  # colours stay where nothing is masked
