"""Files a response streams to download (a statement's CSV), for both surfaces."""

from __future__ import annotations

from collections.abc import Iterator

from flask import Response, stream_with_context

CSV_MEDIA_TYPE = "text/csv; charset=utf-8"


def streamed_download(text: Iterator[str], filename: str, content_type: str) -> Response:
    """`text` sent as it is produced, as an attachment named `filename` (a plain ASCII name).
    stream_with_context keeps the request's context, and so its database session, alive
    until the last chunk is sent: the body is produced after the view has returned."""
    response = Response(stream_with_context(text), content_type=content_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
