"""The dashboard and the JSON API: published numbers for every role, internal data scoped per role and
district, server-side sessions, an access log; only gated numbers."""
