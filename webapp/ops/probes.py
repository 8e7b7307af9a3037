"""The operator's probes: /healthz (the process is up) and /readyz (its services are)."""

from __future__ import annotations

from flask import Response, current_app

from webapp.edge.envelope import success_envelope
from webapp.ops.blueprint import bp
from webapp.services.readiness import require_readiness


@bp.get("/healthz")
def healthz() -> Response:
    return success_envelope({"status": "ok"})


@bp.get("/readyz")
def readyz() -> Response:
    checks = require_readiness(current_app.config.get("REDIS_URL"))
    return success_envelope({"status": "ready", "checks": checks})
