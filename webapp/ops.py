"""Probes for the orchestrator: /healthz (the process is up), /readyz (its services are)."""

from __future__ import annotations

from flask import Blueprint, Response, current_app

from webapp.envelope import success_envelope
from webapp.services.readiness import require_readiness

bp = Blueprint("ops", __name__)


@bp.get("/healthz")
def healthz() -> Response:
    return success_envelope({"status": "ok"})


@bp.get("/readyz")
def readyz() -> Response:
    checks = require_readiness(current_app.config.get("REDIS_URL"))
    return success_envelope({"status": "ready", "checks": checks})
