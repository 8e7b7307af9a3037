"""Where pages send people: the page after login (by role), and `next` only to a local path."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import url_for
from flask_login import current_user

HOME_ENDPOINT = "web.dashboard"
ADMIN_HOME_ENDPOINT = "web.admin_dashboard"


def home_url() -> str:
    """The page a logged-in person lands on when no `next` says otherwise: an admin runs the
    site from /admin, a member's money is on /dashboard."""
    if current_user.is_authenticated and current_user.is_admin:
        return url_for(ADMIN_HOME_ENDPOINT)
    return url_for(HOME_ENDPOINT)


def safe_next(target: str | None) -> str | None:
    """`target` if it is a path on this site, else None (no open redirect).

    Refused: absolute URLs, scheme-relative `//host`, and any backslash or control
    character, which browsers may read as `//host` (`/\\host`).
    """
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(c) < 32 or ord(c) == 127 for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target
