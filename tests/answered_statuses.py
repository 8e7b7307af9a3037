"""Every status each /api/v1 operation answered with while the suite ran.

Recorded from Flask's `request_finished` signal for every app the tests build, so the
last test can check each one against the OpenAPI document
(tests/api/test_openapi_statuses.py).
"""

from __future__ import annotations

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
