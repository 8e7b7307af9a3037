"""/api/v1/users/me/mfa/totp: the second factor."""

from __future__ import annotations

from webapp.api.blueprint import bp  # noqa: F401
