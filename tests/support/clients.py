"""What test clients send: the test users' password, bearer headers and chunked bodies."""

from __future__ import annotations

import io
from typing import Any

PASSWORD = "correct-horse-battery"


def bearer(tokens: dict[str, Any] | str) -> dict[str, str]:
    """The Authorization header for an access token (or a token pair)."""
    token = tokens if isinstance(tokens, str) else tokens["accessToken"]
    return {"Authorization": f"Bearer {token}"}


def chunked(body: bytes, content_type: str) -> dict[str, Any]:
    """A test client's request arguments for `body` sent as a server hands over a chunked one:
    de-chunked, ended by the server (`wsgi.input_terminated`), and with no Content-Length."""
    return {
        "input_stream": io.BytesIO(body),
        "headers": {"Transfer-Encoding": "chunked", "Content-Type": content_type},
        "environ_overrides": {"wsgi.input_terminated": True},
    }
