"""JSON log lines and request ids.

Every log record becomes one JSON object on one line of stdout. Each request gets an
id (the client's `X-Request-ID` when it is well formed, a fresh one otherwise) that is
echoed in the response header, in `meta.requestId`, in every log line written while
the request runs, and in audit events.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, g, has_request_context, request
from werkzeug.routing import Rule

REQUEST_ID_HEADER = "X-Request-ID"
REQUEST_ID_PATTERN = re.compile(r"[A-Za-z0-9._-]{1,128}")

request_log = logging.getLogger("tally.request")


def current_request_id() -> str | None:
    """The id of the request being served, chosen on first use; None outside a request."""
    if not has_request_context():
        return None
    request_id = g.get("request_id")
    if request_id is None:
        offered = request.headers.get(REQUEST_ID_HEADER, "")
        request_id = offered if REQUEST_ID_PATTERN.fullmatch(offered) else uuid.uuid4().hex
        g.request_id = request_id
    return request_id


def current_user_id() -> int | None:
    """The authenticated user's id once an auth layer has set it for this request."""
    if not has_request_context():
        return None
    return g.get("user_id")


class JsonFormatter(logging.Formatter):
    """One JSON object per record. Structured fields come from `extra={"fields": {...}}`."""

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        fields = getattr(record, "fields", {})
        request_id = fields.get("requestId") or current_request_id()
        if request_id is not None:
            payload["requestId"] = request_id
        payload.update(fields)
        if record.exc_info:
            payload["exception"] = self.formatException(record.exc_info)
        return json.dumps(payload, default=str, ensure_ascii=False)


class StdoutHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever sys.stdout is at the time, so redirected output is honoured."""

    def __init__(self) -> None:
        super().__init__(sys.stdout)

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stdout

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


def configure_logging(app: Flask) -> None:
    """Route every logger through one JSON handler on stdout."""
    root = logging.getLogger()
    if not any(isinstance(h, StdoutHandler) for h in root.handlers):
        for handler in list(root.handlers):
            root.removeHandler(handler)
        handler = StdoutHandler()
        handler.setFormatter(JsonFormatter())
        root.addHandler(handler)
    root.setLevel(app.config.get("LOG_LEVEL", "INFO"))
    # Our access line replaces the development server's own.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    from flask.logging import default_handler

    app.logger.removeHandler(default_handler)


def start_request_clock() -> None:
    """The request's start (for its log line and its latency metric) and its id."""
    g.request_started = time.perf_counter()
    current_request_id()


def request_seconds() -> float | None:
    """Seconds since `start_request_clock`, or None if it never ran for this request."""
    started = g.get("request_started")
    return None if started is None else time.perf_counter() - started


SECRET_PATH_VARIABLES = frozenset({"token"})


def logged_path(rule: Rule | None, path: str) -> str:
    """The path as a log line shows it: a mailed link's route (`/reset-password/<token>`)
    instead of the path that holds its secret."""
    if rule is not None and not SECRET_PATH_VARIABLES.isdisjoint(rule.arguments):
        return rule.rule
    return path


def register_request_logging(app: Flask) -> None:
    """Request id on every response, and one access log line per request."""

    @app.after_request
    def log_request(response: Response) -> Response:
        request_id = current_request_id() or uuid.uuid4().hex
        response.headers[REQUEST_ID_HEADER] = request_id
        elapsed = request_seconds() or 0.0
        request_log.info(
            "request",
            extra={
                "fields": {
                    "requestId": request_id,
                    "method": request.method,
                    "path": logged_path(request.url_rule, request.path),
                    "status": response.status_code,
                    "durationMs": round(elapsed * 1000, 2),
                    "userId": current_user_id(),
                }
            },
        )
        return response
