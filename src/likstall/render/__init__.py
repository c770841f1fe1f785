"""Renderers: they only render what the disclosure gate lets through."""

FORMATS = ("html", "pdf", "xlsx", "csv")
