"""Email verification and password reset pages: /verify-email/<token>, /forgot-password,
/reset-password/<token>."""

from __future__ import annotations

from webapp.web.blueprint import bp  # noqa: F401
