"""A chunked request body is held to MAX_CONTENT_LENGTH like one that declares its length.

Werkzeug refuses a Content-Length over the limit (413) before anything reads the body. A
chunked body has no length to check: the server (gunicorn, the development server) de-chunks
it and Werkzeug reads it only up to the limit, then stops without a word, so JSON cut at
64 KiB became "not valid JSON" and a form lost its last fields. Before Flask sees such a
request, its body is read here, one byte past the limit at most, and handed on with the
length it has: over the limit that is the same 413, envelope or page, as a declared length.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from typing import IO, Any

from flask import Flask

WSGIEnvironment = dict[str, Any]
READ_SIZE = 64 * 1024


def is_chunked(environ: WSGIEnvironment) -> bool:
    """A body the server de-chunks and ends itself: its length is known only once read."""
    chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
    return chunked and bool(environ.get("wsgi.input_terminated"))


def read_at_most(stream: IO[bytes], size: int) -> bytes:
    """Up to `size` bytes of the stream, fewer only when it ends first (a read may return
    less than asked, e.g. one chunk)."""
    parts: list[bytes] = []
    remaining = size
    while remaining > 0:
        part = stream.read(min(remaining, READ_SIZE))
        if not part:
            break
        parts.append(part)
        remaining -= len(part)
    return b"".join(parts)


def with_known_length(environ: WSGIEnvironment, max_length: int) -> None:
    """Replace a chunked body by what was read of it and that length; past `max_length`
    only one byte more is read, enough for Werkzeug to refuse it as too large."""
    body = read_at_most(environ["wsgi.input"], max_length + 1)
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    # Werkzeug ignores a Content-Length beside Transfer-Encoding: chunked.
    del environ["HTTP_TRANSFER_ENCODING"]


def bound_chunked_bodies(app: Flask) -> None:
    """Read every chunked body to its length (up to MAX_CONTENT_LENGTH + 1) before Flask."""
    wsgi_app = app.wsgi_app

    def bounded(environ: WSGIEnvironment, start_response: Callable[..., Any]) -> Iterable[bytes]:
        max_length = app.config.get("MAX_CONTENT_LENGTH")
        if max_length is not None and is_chunked(environ):
            with_known_length(environ, max_length)
        return wsgi_app(environ, start_response)

    app.wsgi_app = bounded  # type: ignore[method-assign]
