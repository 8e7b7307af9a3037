"""The operator's surface: probes (/healthz, /readyz), /metrics, and the `flask` commands."""

from __future__ import annotations

# Importing the endpoint modules registers their routes on the blueprint.
from webapp.ops import metrics, probes
from webapp.ops.blueprint import bp

__all__ = ["bp", "metrics", "probes"]
