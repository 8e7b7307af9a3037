"""Every status each /api/v1 operation answered with while the suite ran.

Recorded from Flask's `request_finished` signal for every app the tests build, so the
last test can check each one against the OpenAPI document
(tests/api/test_openapi_statuses.py). The document's side: `documented_statuses`.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Flask, Response, request, request_finished

# (endpoint, method, status); HEAD is answered by the GET operation.
ANSWERED: set[tuple[str, str, int]] = set()


def record(_sender: Flask, response: Response, **_extra: Any) -> None:
    rule = request.url_rule
    if rule is not None and rule.endpoint.startswith("api."):
        method = "GET" if request.method == "HEAD" else request.method
        ANSWERED.add((rule.endpoint, method, response.status_code))


request_finished.connect(record)


def documented_statuses(document: dict[str, Any]) -> dict[tuple[str, str], set[int]]:
    """(endpoint, method) → the statuses the OpenAPI document lists for that operation."""
    return {
        (f"api.{op['operationId']}", method.upper()): {int(status) for status in op["responses"]}
        for item in document["paths"].values()
        for method, op in item.items()
    }


def operations(document: dict[str, Any], path_id: str = "1") -> list[tuple[str, str, Any]]:
    """(method, URL, operation) of every operation in the document, path ids set to `path_id`."""
    server = document["servers"][0]["url"]
    return [
        (method.upper(), server + re.sub(r"\{[^}/]+\}", path_id, path), operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
    ]
