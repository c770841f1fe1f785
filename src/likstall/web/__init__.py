"""The dashboard and the JSON API: roles, district scoping, an access log; only gated numbers."""
