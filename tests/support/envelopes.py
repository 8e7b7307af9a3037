"""Assertions about the response envelope, shared by the HTTP tests."""

from __future__ import annotations

import re
from typing import Any

TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")
LEAKS = ("Traceback", 'File "', "sqlalchemy", "SELECT ", "INSERT ", "argon2")


def assert_meta(response: Any, body: dict[str, Any]) -> None:
    assert body["meta"]["requestId"] == response.headers["X-Request-ID"]
    assert TIMESTAMP.fullmatch(body["meta"]["timestamp"])


def assert_success(response: Any, status: int = 200) -> Any:
    """A `{data, meta}` envelope with this status; returns `data`."""
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert set(body) == {"data", "meta"}
    assert_meta(response, body)
    return body["data"]


def assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    """An `{error, meta}` envelope with this status and code; returns `error`."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"error", "meta"}
    assert set(body["error"]) <= {"code", "message", "details"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    assert_meta(response, body)
    text = response.get_data(as_text=True)
    for leak in LEAKS:
        assert leak not in text
    return body["error"]
