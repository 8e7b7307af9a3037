"""/api/v1 email verification and password reset."""

from __future__ import annotations

from webapp.api.blueprint import bp  # noqa: F401
