"""/settings/security (the second factor and recovery codes) and /login/verify (the second
step of a login)."""

from __future__ import annotations

from webapp.web.blueprint import bp  # noqa: F401
