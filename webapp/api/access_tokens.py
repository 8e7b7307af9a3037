"""/api/v1/tokens: personal access tokens."""

from __future__ import annotations

from webapp.api.blueprint import bp  # noqa: F401
