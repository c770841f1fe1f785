"""The routers, one per area: auth (login, logout), pages (the published follow-up), reports
(downloads), imports, quality (the quarantine), admin (users, access log) and the JSON API. Each
imports only the shared modules above it (auth, render, roles, state), never `app` or another router."""
