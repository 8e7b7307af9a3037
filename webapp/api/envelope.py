"""The API's side of the envelope: a cursor page's pagination meta, and no content."""

from __future__ import annotations

from typing import Any

from flask import Response

from webapp.repositories.keyset import Page


def no_content() -> Response:
    return Response(status=204)


def cursor_pagination(page: Page[Any], limit: int) -> dict[str, Any]:
    return {"limit": limit, "nextCursor": page.next_cursor, "hasMore": page.has_more}
