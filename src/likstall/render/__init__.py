"""Renderers: they only render what the disclosure gate lets through."""
