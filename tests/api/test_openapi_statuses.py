"""Every status an /api/v1 operation answered with anywhere in the suite is documented for
that operation. Runs last (it reads what the other tests did): `answered_statuses` records
each answer of every app the tests build."""

from __future__ import annotations

import pytest
from answered_statuses import ANSWERED


@pytest.mark.last
def test_every_status_answered_in_the_suite_is_documented_for_its_operation(client):
    # A few answers of its own, so that it checks something when run alone too.
    client.get("/api/v1/products")
    client.get("/api/v1/products/999999")
    client.get("/api/v1/users/me")
    client.post("/api/v1/auth/login", json={"email": 1})
    client.post("/api/v1/auth/login", data="{", content_type="application/json")
    document = client.get("/api/v1/openapi.json").get_json()
    documented = {
        (f"api.{op['operationId']}", method.upper()): {int(status) for status in op["responses"]}
        for item in document["paths"].values()
        for method, op in item.items()
    }
    answered = sorted(ANSWERED)
    undocumented = [
        (endpoint, method, status)
        for endpoint, method, status in answered
        if status not in documented[(endpoint, method)]
    ]
    assert not undocumented, "\n".join(map(str, undocumented))
    assert {status for _, _, status in answered} >= {200, 400, 401, 404, 422}
