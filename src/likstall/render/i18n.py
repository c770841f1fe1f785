"""User-facing words of the renderers, from the message catalogues (`likstall.text`, keys `ui.*`)."""

from __future__ import annotations

from ..text import t as _t


def t(key: str, lang: str = "sv") -> str:
    return _t(f"ui.{key}", lang)
