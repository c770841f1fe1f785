"""Shared fixtures: a private key file per test and a small valid export."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import base_tables, write_tables


@pytest.fixture(autouse=True)
def _private_key(tmp_path_factory, monkeypatch):
    """Every test gets its own key file; no test touches ~/.config."""
    monkeypatch.delenv("LIKSTALL_SECRET_KEY", raising=False)
    monkeypatch.setenv("LIKSTALL_KEY_FILE", str(tmp_path_factory.mktemp("key") / "secret.key"))


@pytest.fixture
def export(tmp_path) -> Path:
    return write_tables(tmp_path / "export", base_tables())
