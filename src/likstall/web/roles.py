"""What each role may see.

Every released number is public: it passed disclosure control and goes into the yearly report. So
every role sees every published page, every district's page, the reports and the API, unscoped.
What is *internal* is scoped: the quarantine (rows of the districts' files) — a district user sees
its own district's rows, so that it can correct its registrations; analysts and admins see all,
including rows whose district is not known — and, for admins only, imports, users and the access log.
"""

from __future__ import annotations

from .users import ROLES

PUBLISHED = ("oversikt", "jamfor", "indikatorer", "placeringar", "vistelsetid", "shis", "malgrupper", "sarbara", "trender", "datakvalitet",
             "rapporter")
INTERNAL_READERS = ("admin", "analytiker", "stadsdel")
ADMINS = ("admin",)
PAGES = {
    # path name: (title, roles that see it)
    "oversikt": ("Översikt", ROLES),
    "jamfor": ("Jämför stadsdelar", ROLES),
    "placeringar": ("Placeringar", ROLES),
    "vistelsetid": ("Vistelsetid", ROLES),
    "shis": ("SHIS och remittering", ROLES),
    "malgrupper": ("Målgrupper", ROLES),
    "sarbara": ("Särskilt sårbara grupper", ROLES),
    "trender": ("Trender", ROLES),
    "datakvalitet": ("Datakvalitet", ROLES),
    "rapporter": ("Rapporter", ROLES),
    "indikatorer": ("Indikatorer", ROLES),
    "karantan": ("Karantän", INTERNAL_READERS),
    "import": ("Import", ADMINS),
    "anvandare": ("Användare", ADMINS),
    "logg": ("Åtkomstlogg", ADMINS),
}


def may(user, page: str) -> bool:
    return user.role in PAGES[page][1]


def quarantine_scope(user) -> str | None:
    """The district whose quarantine rows this user sees, or None for all of them (analysts, admins)."""
    return user.district if user.role == "stadsdel" else None


def nav(user) -> list[tuple[str, str]]:
    return [(p, title) for p, (title, roles) in PAGES.items() if user.role in roles]
