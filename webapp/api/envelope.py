"""The response envelope: every /api body is `{data, meta}` or `{error, meta}`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from flask import Response, current_app
from pydantic import BaseModel

from webapp.logging import current_request_id
from webapp.repositories.keyset import Page


def utc_timestamp() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def meta(pagination: Mapping[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"requestId": current_request_id(), "timestamp": utc_timestamp()}
    if pagination is not None:
        body["pagination"] = dict(pagination)
    return body


def to_wire(data: Any) -> Any:
    """Pydantic models become camelCase JSON-ready values; lists of them too."""
    if isinstance(data, BaseModel):
        return data.model_dump(mode="json", by_alias=True)
    if isinstance(data, Sequence) and not isinstance(data, (str, bytes)):
        return [to_wire(item) for item in data]
    return data


def _json(body: Mapping[str, Any], status: int, headers: Mapping[str, str] | None) -> Response:
    response = current_app.json.response(body)
    response.status_code = status
    if headers:
        response.headers.update(headers)
    return response


def api_success(
    data: Any,
    status: int = 200,
    *,
    pagination: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    return _json({"data": to_wire(data), "meta": meta(pagination)}, status, headers)


def api_error(
    code: str,
    message: str,
    status: int,
    *,
    details: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    error: dict[str, Any] = {"code": code, "message": message}
    if details:
        error["details"] = dict(details)
    return _json({"error": error, "meta": meta()}, status, headers)


def no_content() -> Response:
    return Response(status=204)


def cursor_pagination(page: Page[Any], limit: int) -> dict[str, Any]:
    return {"limit": limit, "nextCursor": page.next_cursor, "hasMore": page.has_more}


def page_pagination(page: int, page_size: int, total: int) -> dict[str, Any]:
    total_pages = (total + page_size - 1) // page_size if page_size else 0
    return {"page": page, "pageSize": page_size, "total": total, "totalPages": total_pages}


def api_page(page: Page[Any], limit: int, items: Sequence[Any]) -> Response:
    """A cursor-paginated list: the serialized items and the page's pagination meta."""
    return api_success(items, pagination=cursor_pagination(page, limit))
