"""Probes for the orchestrator: /healthz (the process is up), /readyz (its services are)."""

from __future__ import annotations

from flask import Blueprint, Response, current_app

from webapp.api.envelope import api_error, api_success
from webapp.services.readiness import check_readiness, is_ready

bp = Blueprint("ops", __name__)


@bp.get("/healthz")
def healthz() -> Response:
    return api_success({"status": "ok"})


@bp.get("/readyz")
def readyz() -> Response:
    checks = check_readiness(current_app.config.get("REDIS_URL"))
    if not is_ready(checks):
        return api_error(
            "SERVICE_UNAVAILABLE", "A required service is unreachable.", 503, details=checks
        )
    return api_success({"status": "ready", "checks": checks})
