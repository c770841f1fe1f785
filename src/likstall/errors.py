"""Errors a user can act on. Messages are Swedish and never contain a person's data."""


class LikstallError(Exception):
    """Base class: the CLI prints the message and exits non-zero, without a traceback."""

    exit_code = 2


class InputError(LikstallError):
    """A file could not be ingested as a whole (unreadable, wrong columns, wrong key)."""

    def __init__(self, message: str, *, file: str | None = None, row: int | None = None,
                 column: str | None = None, rule: str | None = None):
        where = ", ".join(
            p for p in (
                f"fil {file}" if file else "",
                f"rad {row}" if row is not None else "",
                f"kolumn {column}" if column else "",
                f"regel {rule}" if rule else "",
            ) if p
        )
        super().__init__(f"{message} ({where})" if where else message)
        self.file, self.row, self.column, self.rule = file, row, column, rule


class StoreError(LikstallError):
    """The store cannot be opened or is not a likstall store."""
