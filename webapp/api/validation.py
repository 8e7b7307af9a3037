"""Request parsing for /api: JSON bodies, and schema validation through SpecTree.

SpecTree validates requests against the pydantic schemas and will later generate the
OpenAPI document from the same decorators. Its own 422 response is replaced by our
envelope: the `before` hook raises ValidationError with field → message details.
"""

from __future__ import annotations

from typing import Any

import pydantic
from flask import request
from spectree import SpecTree
from werkzeug.exceptions import BadRequest, UnsupportedMediaType

from webapp.errors import ValidationError
from webapp.text_guard import refuse_unstorable_json

BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


def field_errors(error: pydantic.ValidationError) -> dict[str, str]:
    """pydantic's errors as {"field.path": "message"}, the first message per field."""
    details: dict[str, str] = {}
    for item in error.errors(include_url=False, include_context=False, include_input=False):
        field = ".".join(str(part) for part in item["loc"]) or "body"
        details.setdefault(field, item["msg"])
    return details


def raise_validation_error(
    _request: Any, _response: Any, error: Exception | None, _instance: Any, *_args: Any
) -> None:
    if isinstance(error, pydantic.ValidationError):
        raise ValidationError(details=field_errors(error))


spec = SpecTree(
    "flask",
    title="Tally API",
    version="1.0.0",
    annotations=True,
    before=raise_validation_error,
)


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
    refuse_unstorable_json(body)
