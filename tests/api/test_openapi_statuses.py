"""Every status an /api/v1 operation answered with anywhere in the suite is documented for
that operation. Runs last (it reads what the other tests did): `answered_statuses` records
each answer of every app the tests build.

What the app answers before any route runs (a hook that reads every request) is answered
by every operation, whether or not another test happens to send such a request there: so
this test also sends each such request to every operation itself. What gunicorn answers
before the app is checked against a real gunicorn in
tests/integration/test_server_answers_documented.py."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.answered_statuses import ANSWERED, documented_statuses, operations

# A request each app-wide hook refuses, whatever the operation: the text guard's NUL in a
# query string and in a form (webapp/edge/text_guard.py).
EVERY_OPERATION_MEETS: dict[str, dict[str, Any]] = {
    "NUL in the query": {"query_string": "q=%00"},
    "NUL in a form": {"data": {"q": "\x00"}},
}


@pytest.mark.last
def test_every_status_answered_in_the_suite_is_documented_for_its_operation(client):
    # A few answers of its own, so that it checks something when run alone too.
    client.get("/api/v1/products")
    client.get("/api/v1/products/999999")
    client.get("/api/v1/users/me")
    client.post("/api/v1/auth/login", json={"email": 1})
    client.post("/api/v1/auth/login", data="{", content_type="application/json")
    document = client.get("/api/v1/openapi.json").get_json()
    for method, url, _ in operations(document):
        for request in EVERY_OPERATION_MEETS.values():
            client.open(url, method=method, **request)
    documented = documented_statuses(document)
    answered = sorted(ANSWERED)
    undocumented = [
        (endpoint, method, status)
        for endpoint, method, status in answered
        if status not in documented[(endpoint, method)]
    ]
    assert not undocumented, "\n".join(map(str, undocumented))
    assert {status for _, _, status in answered} >= {200, 400, 401, 404, 422}
