"""Staged imports: the uploaded files and the trial copy of the store, until commit or discard.

They live in one private folder next to the store (`<store>.import/`, 0700), one subfolder per
staged import, named by the server; nothing outside that folder is ever deleted. A staged import
is deleted on commit, discard, logout, when its session expires (the periodic sweep) and at start-up
(no session can reach a folder from before), so raw files do not outlive the one check they were for.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path

NAME = re.compile(r"^imp-[A-Za-z0-9_]{6,40}$")


def staging_root(db: Path) -> Path:
    return db.with_name(db.name + ".import")


class Staging:
    def __init__(self, db: Path, *, create: bool = True):
        self.root = staging_root(db)
        if create:
            self.root.mkdir(mode=0o700, exist_ok=True)
            self.root.chmod(0o700)

    def new(self) -> tuple[str, Path]:
        path = Path(tempfile.mkdtemp(prefix="imp-", dir=self.root))
        return path.name, path

    def path(self, name: str | None) -> Path | None:
        if not name or not NAME.match(name):
            return None
        p = self.root / name
        return p if p.is_dir() else None

    def remove(self, name: str | None) -> None:
        if name and NAME.match(name):
            shutil.rmtree(self.root / name, ignore_errors=True)

    def names(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return [p.name for p in self.root.iterdir() if NAME.match(p.name)]

    def clear(self, keep: set[str] = frozenset()) -> None:
        """Delete every staged import but those in `keep`."""
        for name in self.names():
            if name not in keep:
                self.remove(name)
