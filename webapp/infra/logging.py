"""Log lines (JSON, or text a person reads) and request ids.

Every log record becomes one line of stdout: a JSON object (`LOG_FORMAT=json`, the
default), or a line of text (`LOG_FORMAT=text`, as `make run` sets; a traceback below it),
masked alike. Each request gets an id (the client's `X-Request-ID` when it is well formed,
a fresh one otherwise) that is echoed in the response header, in `meta.requestId`, in
every log line written while the request runs, and in audit events.

A mailed link carries its token in the path (`/reset-password/<token>`). Whatever a line
says, the access line's path, an error's message or traceback, gunicorn's own lines, a
path that starts like such a route has its secret replaced by `<token>`, matched route
or not, on any method, slash or percent-encoding.
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
from werkzeug.routing import Map, Rule

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


SECRET_PATH_VARIABLES = frozenset({"token"})
MASKED_SECRET = "<token>"
# What ends a path quoted in a line: whitespace, a quote, its query or fragment.
PATH_TAIL = r"""[^\s"'?#]+"""


def carries_secret(rule: Rule) -> bool:
    return not SECRET_PATH_VARIABLES.isdisjoint(rule.arguments)


def secret_path_prefixes(url_map: Map) -> frozenset[str]:
    """The fixed start of every route with a secret in its path (`/reset-password/`). What
    follows it in a logged path is masked whole (a variable before the secret masks more,
    never less)."""
    return frozenset(
        rule.rule.partition("<")[0] for rule in url_map.iter_rules() if carries_secret(rule)
    )


def loose(character: str) -> str:
    """A pattern for one character as a path may bring it: itself in any case, or
    percent-encoded once or more (`-`, `%2D`, `%252d`)."""
    encoded = "".join(f"%(?:25)*{byte:02X}" for byte in character.encode())
    return f"(?:{re.escape(character)}|{encoded})"


class SecretPaths:
    """The mailed-link routes of the app(s) this process built, and the one function that
    masks their secrets in whatever text is about to be logged."""

    def __init__(self) -> None:
        self.prefixes: tuple[str, ...] = ()
        self._pattern: re.Pattern[str] | None = None

    def learn(self, url_map: Map) -> None:
        """Add the routes of an app (gunicorn's workers build one; tests build many)."""
        self.prefixes = tuple(sorted(set(self.prefixes) | secret_path_prefixes(url_map)))
        routes = "|".join(
            f"(?P<route{index}>{''.join(loose(c) for c in prefix)})"
            for index, prefix in enumerate(self.prefixes)
        )
        self._pattern = re.compile(f"(?:{routes}){PATH_TAIL}", re.IGNORECASE) if routes else None

    def mask(self, text: str) -> str:
        """`text` with each path under a secret route cut to that route and `<token>`."""
        if self._pattern is None:
            return text
        return self._pattern.sub(self._masked_route, text)

    def _masked_route(self, match: re.Match[str]) -> str:
        index = int(str(match.lastgroup).removeprefix("route"))
        return self.prefixes[index] + MASKED_SECRET


secret_paths = SecretPaths()


def masked_text(value: object) -> str:
    return secret_paths.mask(str(value))


def masked(value: Any) -> Any:
    """`value` with every string in it masked (`SecretPaths.mask`), before it is serialised:
    masking the JSON text could cut through an escape."""
    if isinstance(value, str):
        return secret_paths.mask(value)
    if isinstance(value, dict):
        return {key: masked(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [masked(item) for item in value]
    return value


class MaskedFieldsFormatter(logging.Formatter):
    """A record's fields (time, level, logger, message, request id, `extra={"fields": {...}}`,
    exception), every string in them masked: what each log format writes, in its own way."""

    def fields(self, record: logging.LogRecord) -> dict[str, Any]:
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
        # Any text may quote a path: a mailed link's token never reaches the line.
        return masked(payload)


class JsonFormatter(MaskedFieldsFormatter):
    """One JSON object per record, for log collectors (`LOG_FORMAT=json`, the default)."""

    def format(self, record: logging.LogRecord) -> str:
        return json.dumps(self.fields(record), default=masked_text, ensure_ascii=False)


# Fields a text line shows in its head rather than as `name=value`.
TEXT_HEAD = ("timestamp", "level", "logger", "requestId", "message", "exception")


def text_value(value: Any) -> str:
    """A field's value as `name=value` shows it: a text quoted when it holds a space, a quote
    or an `=`; anything else as compact JSON."""
    if not isinstance(value, str):
        return json.dumps(value, default=masked_text, ensure_ascii=False, separators=(",", ":"))
    return json.dumps(value, ensure_ascii=False) if re.search(r"[\s\"=]", value) else value


class TextFormatter(MaskedFieldsFormatter):
    """One line a person reads (`LOG_FORMAT=text`, set by `make run`): time, level, logger,
    `[request id]`, the message, then the other fields as `name=value`; a traceback below."""

    def format(self, record: logging.LogRecord) -> str:
        fields = self.fields(record)
        when = fields["timestamp"].replace("T", " ").removesuffix("+00:00")
        head = [when, f"{fields['level']:<7}", fields["logger"]]
        if "requestId" in fields:
            head.append(f"[{fields['requestId']}]")
        head.append(fields["message"])
        rest = [
            f"{name}={text_value(value)}"
            for name, value in fields.items()
            if name not in TEXT_HEAD and value is not None
        ]
        line = " ".join(head + rest)
        return f"{line}\n{fields['exception']}" if "exception" in fields else line


# One for each of settings.LOG_FORMATS (tests/unit/test_logging.py holds them together).
LOG_FORMATTERS: dict[str, type[MaskedFieldsFormatter]] = {
    "json": JsonFormatter,
    "text": TextFormatter,
}


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
    """Route every logger through one handler on stdout, in the format LOG_FORMAT names."""
    root = logging.getLogger()
    handlers = [h for h in root.handlers if isinstance(h, StdoutHandler)]
    if not handlers:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        handlers = [StdoutHandler()]
        root.addHandler(handlers[0])
    formatter = LOG_FORMATTERS[app.config.get("LOG_FORMAT", "json")]
    for handler in handlers:
        handler.setFormatter(formatter())
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


def logged_path(rule: Rule | None, path: str) -> str:
    """The path as a log line shows it: a mailed link's route (`/reset-password/<token>`)
    instead of the path that holds its secret. A path that missed its route is masked with
    every other string of the line, by the formatter (MaskedFieldsFormatter)."""
    if rule is not None and carries_secret(rule):
        return rule.rule
    return path


def learn_secret_paths(app: Flask) -> None:
    """After the blueprints: the routes whose paths carry a secret are known from here on."""
    secret_paths.learn(app.url_map)


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
