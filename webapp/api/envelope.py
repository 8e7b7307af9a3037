"""The API's side of the envelope: serialized models, cursor pages, no content."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from flask import Response
from pydantic import BaseModel

from webapp.envelope import error_envelope, success_envelope
from webapp.repositories.keyset import Page

api_error = error_envelope


def to_wire(data: Any) -> Any:
    """Pydantic models become camelCase JSON-ready values; lists of them too."""
    if isinstance(data, BaseModel):
        return data.model_dump(mode="json", by_alias=True)
    if isinstance(data, Sequence) and not isinstance(data, (str, bytes)):
        return [to_wire(item) for item in data]
    return data


def api_success(
    data: Any,
    status: int = 200,
    *,
    pagination: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    return success_envelope(to_wire(data), status, pagination=pagination, headers=headers)


def no_content() -> Response:
    return Response(status=204)


def cursor_pagination(page: Page[Any], limit: int) -> dict[str, Any]:
    return {"limit": limit, "nextCursor": page.next_cursor, "hasMore": page.has_more}


def api_page(page: Page[Any], limit: int, items: Sequence[Any]) -> Response:
    """A cursor-paginated list: the serialized items and the page's pagination meta."""
    return api_success(items, pagination=cursor_pagination(page, limit))
