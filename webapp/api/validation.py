"""Request bodies for /api: when there is one, a JSON object sent as application/json.

Checked before any route runs, so every operation refuses the same way (415, 400); the
fields themselves are checked by each operation's body model (`webapp.api.operations`).
"""

from __future__ import annotations

from flask import request
from werkzeug.exceptions import BadRequest, UnsupportedMediaType

from webapp.edge.text_guard import refuse_unfit_json

BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


def _has_body() -> bool:
    return (
        bool(request.content_length)
        or "chunked" in request.headers.get("Transfer-Encoding", "").lower()
    )


def require_json_object_body() -> None:
    """A body, when there is one, must be a JSON object sent as application/json."""
    if request.method not in BODY_METHODS or not _has_body():
        return
    if not request.is_json:
        raise UnsupportedMediaType("Send the body as application/json.")
    try:
        body = request.get_json()
    except BadRequest as exc:
        raise BadRequest("The body is not valid JSON.") from exc
    if not isinstance(body, dict):
        raise BadRequest("The body must be a JSON object.")
    refuse_unfit_json(body)
