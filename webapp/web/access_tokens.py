"""/settings/tokens: personal access tokens."""

from __future__ import annotations

from webapp.web.blueprint import bp  # noqa: F401
