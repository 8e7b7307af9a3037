"""A personal access token's scope and role limits, checked over the whole URL map.

A `read` token is refused (403 INSUFFICIENT_SCOPE) on every method but GET/HEAD/OPTIONS,
on every /api rule, before anything else about the request: where the id does not exist
(404), the rule takes no such method (405), or the body is malformed (400), not JSON
(415) or invalid (422). An admin's `write` token holds no admin power: every admin-only
operation answers it 403. New rules are covered as they are added.
"""

from __future__ import annotations

import re

import pytest

from tests.support.access_tokens import make_token, pat
from tests.support.envelopes import assert_error
from webapp.api.operations import OPERATIONS
from webapp.models.user import ROLE_ADMIN

WRITES = ("POST", "PUT", "PATCH", "DELETE")
MISSING_ID = "987654321"
ARGUMENT = re.compile(r"<[^>]+>")
BODIES = (
    {"json": {"unexpected": ["field"], "amount": "ten"}},  # 422 elsewhere
    {"data": "{", "content_type": "application/json"},  # 400 elsewhere
    {"data": "plain text", "content_type": "text/plain"},  # 415 elsewhere
)


def api_rules(app) -> list:
    rules = [rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/")]
    assert len(rules) > 30  # the whole surface, not a stub of it
    return rules


def url_of(rule, value: str = MISSING_ID) -> str:
    return ARGUMENT.sub(value, rule.rule)


def admin_only_rules(app) -> list:
    rules = []
    for rule in api_rules(app):
        op = OPERATIONS.get(rule.endpoint.removeprefix("api."))
        if op is not None and op.roles and all(role == ROLE_ADMIN for role in op.roles):
            rules.append(rule)
    return rules


@pytest.fixture
def read_token(client, member) -> dict[str, str]:
    return pat(make_token(client, member, scopes=("read",)))


@pytest.fixture
def admin_write_token(client, admin) -> dict[str, str]:
    return pat(make_token(client, admin, scopes=("read", "write")))


def test_a_read_token_is_refused_on_every_write_of_every_rule_before_anything_else(
    app, client, read_token
):
    urls = sorted({url_of(rule) for rule in api_rules(app)} | {"/api/v1/no-such-route"})
    checked = 0
    for url in urls:
        for method in WRITES:
            for body in BODIES:
                response = client.open(url, method=method, headers=read_token, **body)
                assert response.status_code == 403, (method, url, response.get_json())
                assert_error(response, 403, "INSUFFICIENT_SCOPE")
                checked += 1
    assert checked == len(urls) * len(WRITES) * len(BODIES)


def test_the_same_writes_without_the_scope_check_would_answer_otherwise(app, client, member):
    """The control: a login session's answers to those requests are not 403 at all, so the
    refusals above come from the scope, not from the routes."""
    statuses = set()
    for rule in api_rules(app):
        for method in sorted(set(WRITES) & rule.methods):
            if rule.endpoint == "api.logout_all":
                continue  # would end the session the loop uses
            response = client.open(url_of(rule), method=method, headers=member, **BODIES[0])
            statuses.add(response.status_code)
    assert {404, 422} <= statuses
    assert client.post("/api/v1/no-such-route", headers=member).status_code == 404
    assert client.put("/api/v1/transfers", headers=member, json={}).status_code == 405


def test_a_read_token_reads_every_get_rule_it_may(app, client, read_token):
    """GETs pass the scope check: refused only where a role or a login session is needed."""
    for rule in api_rules(app):
        if "GET" not in rule.methods:
            continue
        response = client.get(url_of(rule, "1"), headers=read_token)
        op = OPERATIONS.get(rule.endpoint.removeprefix("api."))
        if op is not None and op.roles:
            assert_error(response, 403, "FORBIDDEN")
        elif rule.endpoint in ("api.list_tokens", "api.export_me"):
            assert_error(response, 403, "INSUFFICIENT_SCOPE")
        else:
            assert response.status_code in (200, 404), (rule.rule, response.get_json())
        assert client.head(url_of(rule, "1"), headers=read_token).status_code != 401


def test_an_admins_write_token_reaches_no_admin_route(app, client, admin, admin_write_token):
    rules = admin_only_rules(app)
    assert {"api.admin_stats", "api.deposit", "api.update_user", "api.list_users"} <= {
        rule.endpoint for rule in rules
    }
    for rule in rules:
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            for value in ("1", MISSING_ID):
                response = client.open(
                    url_of(rule, value), method=method, headers=admin_write_token, json={}
                )
                assert_error(response, 403, "FORBIDDEN")
    # The control: the same admin, logged in, is let in.
    assert client.get("/api/v1/admin/stats", headers=admin).status_code == 200
    assert client.get("/api/v1/users", headers=admin).status_code == 200


def test_an_admins_token_cannot_make_tokens_nor_touch_credentials(client, admin_write_token):
    body = {"name": "escalate", "scopes": ["write"]}
    assert_error(
        client.post("/api/v1/tokens", headers=admin_write_token, json=body),
        403,
        "INSUFFICIENT_SCOPE",
    )
    change = {"currentPassword": "x" * 12, "newPassword": "a-brand-new-passphrase"}
    assert_error(
        client.patch("/api/v1/users/me", headers=admin_write_token, json=change),
        403,
        "INSUFFICIENT_SCOPE",
    )
    assert_error(
        client.post("/api/v1/users/me/mfa/totp", headers=admin_write_token),
        403,
        "INSUFFICIENT_SCOPE",
    )
