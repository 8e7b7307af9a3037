"""What test clients send: the test users' password and bearer headers."""

from __future__ import annotations

from typing import Any

PASSWORD = "correct-horse-battery"


def bearer(tokens: dict[str, Any] | str) -> dict[str, str]:
    """The Authorization header for an access token (or a token pair)."""
    token = tokens if isinstance(tokens, str) else tokens["accessToken"]
    return {"Authorization": f"Bearer {token}"}
