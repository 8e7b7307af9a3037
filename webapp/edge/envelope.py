"""The response envelope: every JSON body is `{data, meta}` or `{error, meta}`.

One module for both, outside the API package, because the API, the probes and the error
handlers (`webapp.edge.errors`) all answer in it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from flask import Response, current_app

from webapp.infra.logging import current_request_id


def utc_timestamp() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def meta(pagination: Mapping[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"requestId": current_request_id(), "timestamp": utc_timestamp()}
    if pagination is not None:
        body["pagination"] = dict(pagination)
    return body


def json_response(
    body: Mapping[str, Any], status: int, headers: Mapping[str, str] | None = None
) -> Response:
    response = current_app.json.response(body)
    response.status_code = status
    if headers:
        response.headers.update(headers)
    return response


def success_envelope(
    data: Any,
    status: int = 200,
    *,
    pagination: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """`data` as it is (JSON-ready values) under `data`, with the request's meta."""
    return json_response({"data": data, "meta": meta(pagination)}, status, headers)


def success_envelope_encoded(
    data: bytes,
    status: int = 200,
    *,
    pagination: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """`success_envelope` with `data` already written as JSON (by pydantic, which writes
    a model's JSON faster than turning it into Python values for Flask to write)."""
    encoded_meta = current_app.json.dumps(meta(pagination)).encode()
    body = b'{"data":' + data + b',"meta":' + encoded_meta + b"}\n"
    response = current_app.response_class(body, status=status, mimetype="application/json")
    if headers:
        response.headers.update(headers)
    return response


def error_envelope(
    code: str,
    message: str,
    status: int,
    *,
    details: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    error: dict[str, Any] = {"code": code, "message": message}
    if details:
        error["details"] = dict(details)
    return json_response({"error": error, "meta": meta()}, status, headers)
