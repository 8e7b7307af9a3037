"""/metrics (Prometheus text, behind its token), with the request hooks that feed it."""

from __future__ import annotations

import hmac

from flask import Flask, Response, abort, current_app, request

from webapp.infra import metrics, task_queue
from webapp.infra.extensions import limiter
from webapp.infra.logging import request_seconds, start_request_clock
from webapp.ops.blueprint import bp


@bp.get("/metrics")
@limiter.exempt  # the scraper is never refused (it is outside /api's default limit anyway)
def metrics_exposition() -> Response:
    if not may_scrape():
        # The same answer as a path that does not exist: nothing to learn by probing.
        abort(404)
    queued = task_queue.waiting_or_none()
    response = Response(metrics.exposition(queued), content_type=metrics.EXPOSITION_CONTENT_TYPE)
    response.headers["Cache-Control"] = "no-store"
    return response


def may_scrape() -> bool:
    """With METRICS_TOKEN set, only `Authorization: Bearer <token>` (compared in constant
    time) may read /metrics; without one, only where the config serves it openly."""
    token = current_app.config.get("METRICS_TOKEN")
    if not token:
        return bool(current_app.config.get("METRICS_WITHOUT_TOKEN"))
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        given.strip().encode(), str(token).encode()
    )


def count_request(response: Response) -> Response:
    elapsed = request_seconds()
    rule = request.url_rule.rule if request.url_rule is not None else None
    metrics.observe_request(rule, request.method, response.status_code, elapsed)
    return response


def register_request_metrics(app: Flask) -> None:
    """Registered before every other hook: the request clock (which the access log reads
    too) starts first and the count comes last (after-request hooks run in reverse), so it
    sees the final status of every request, the 429s of the limiter and the 404s of
    routing included."""
    app.before_request(start_request_clock)
    app.after_request(count_request)
