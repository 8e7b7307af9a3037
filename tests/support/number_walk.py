"""Numbers no row can hold, and the routes and fields that take a number, found by walking
the app (its URL map, its OpenAPI document, its pages' forms) rather than listed by hand:
what tests/api/test_no_number_is_a_500.py and tests/web/test_no_number_on_a_page_is_a_500.py send.

Every id column is a BIGINT (int64, on SQLite and PostgreSQL), so the numbers are the
largest it holds, the first it does not, one far beyond, the smallest and one below it,
zero and -1; and the largest a request may send (webapp.core.ids.MAX_NUMBER), which names
nothing.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.routing import Rule

from tests.support.clients import PASSWORD, bearer
from webapp.core.ids import BIGINT_MAX, BIGINT_MIN, MAX_NUMBER
from webapp.edge.url_converters import IdConverter
from webapp.infra.extensions import db
from webapp.models import Account, AuthSession, Order, PersonalAccessToken, Product, User

ADMIN_EMAIL = "admin@example.com"
MEMBER_EMAIL = "member@example.com"
# Beyond what a BIGINT holds: no sort key in a cursor, no number anywhere.
BEYOND_BIGINT = [BIGINT_MAX + 1, 10**30, BIGINT_MIN - 1]
# Beyond what a request may send, or below any id: refused wherever they are read.
OUT_OF_RANGE = [BIGINT_MAX, *BEYOND_BIGINT, BIGINT_MIN, -1]
# Numbers a field may still take (a stock of 0) but no id is.
SMALL = [0]
# The largest number a request may send: it names nothing, so it reaches the database.
LARGEST_SENDABLE = MAX_NUMBER
NUMBERS = [*OUT_OF_RANGE, *SMALL]
IMPLICIT_METHODS = frozenset({"HEAD", "OPTIONS"})


@dataclass(frozen=True)
class World:
    """An admin and a member with one of everything a path may name, and their clients."""

    admin: dict[str, str]  # bearer headers
    member: dict[str, str]
    ids: dict[str, int]  # path argument name (product_id, …) → the member's or a real one

    def id_for(self, argument: str) -> int:
        """A real id for a path argument; 1 for one added since (a 404 is fine there too)."""
        return self.ids.get(argument, 1)


def build_world(app: Flask, client: FlaskClient, make_admin: Any) -> World:
    """Two of each listed thing, so that every list has a second page to point at."""
    app.config["RATELIMIT_ENABLED"] = False  # thousands of requests from one client
    make_admin(ADMIN_EMAIL)
    registered = client.post(
        "/api/v1/auth/register",
        json={"email": MEMBER_EMAIL, "password": PASSWORD, "name": "Member"},
    )
    assert registered.status_code == 201, registered.get_json()
    admin, member = (bearer(log_in(client, email)) for email in (ADMIN_EMAIL, MEMBER_EMAIL))
    main = client.get("/api/v1/accounts", headers=member).get_json()["data"][0]["id"]
    client.post("/api/v1/accounts", json={"name": "Savings"}, headers=member)
    for sku in ("MUG", "CAP"):
        product = {"sku": sku, "name": sku.title(), "price": 100, "stock": 50}
        assert client.post("/api/v1/products", json=product, headers=admin).status_code == 201
    with app.app_context():
        product_id = db.session.scalars(select(Product.id).order_by(Product.id)).first()
    for amount in (50_00, 25_00):
        client.post(f"/api/v1/accounts/{main}/deposits", json={"amount": amount}, headers=admin)
    for _ in range(2):
        order = {"accountId": main, "items": [{"productId": str(product_id), "quantity": 1}]}
        assert client.post("/api/v1/orders", json=order, headers=member).status_code == 201
        token = {"name": "export", "scopes": ["read"]}
        assert client.post("/api/v1/tokens", json=token, headers=member).status_code == 201
    with app.app_context():
        member_id = db.session.scalar(select(User.id).where(User.email == MEMBER_EMAIL))
        first = {
            "user_id": select(User.id).where(User.id == member_id),
            "account_id": select(Account.id).where(Account.user_id == member_id),
            "product_id": select(Product.id),
            "order_id": select(Order.id).where(Order.user_id == member_id),
            "token_id": select(PersonalAccessToken.id).where(
                PersonalAccessToken.user_id == member_id
            ),
            "session_id": select(AuthSession.id).where(AuthSession.user_id == member_id),
        }
        ids = {name: db.session.scalars(query.limit(1)).one() for name, query in first.items()}
    return World(admin=admin, member=member, ids=ids)


def log_in(client: FlaskClient, email: str) -> dict[str, Any]:
    response = client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert response.status_code == 200, response.get_json()
    return response.get_json()["data"]


# --- paths -------------------------------------------------------------------------------


PATH_ARGUMENT = re.compile(r"<(?:([^:<>(]+)(?:\([^)]*\))?:)?([^<>]+)>")


def id_arguments(app: Flask, rule: Rule) -> list[str]:
    """The arguments of a rule that are ids (read by the id converter), in path order."""
    converters = app.url_map.converters
    return [
        name
        for converter, name in PATH_ARGUMENT.findall(rule.rule)
        if converter and issubclass(converters[converter], IdConverter)
    ]


def rules_with_ids(app: Flask, endpoint_prefix: str) -> list[tuple[Rule, str]]:
    """(rule, method) for every rule of these endpoints with an id in its path."""
    return [
        (rule, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith(endpoint_prefix) and id_arguments(app, rule)
        for method in sorted((rule.methods or set()) - IMPLICIT_METHODS)
    ]


def path_of(rule: Rule, values: dict[str, object]) -> str:
    """The rule's path with these argument values written in as they are (no converter)."""
    return PATH_ARGUMENT.sub(lambda m: str(values[m.group(2)]), rule.rule)


def paths_naming_out_of_range_ids(app: Flask, rule: Rule, world: World) -> list[tuple[str, object]]:
    """(path, the number sent) with one id argument out of range, the others real."""
    real = {name: world.id_for(name) for name in id_arguments(app, rule)}
    return [
        (path_of(rule, {**real, name: number}), number)
        for name in real
        for number in [*NUMBERS, LARGEST_SENDABLE]
    ]


# --- cursors -----------------------------------------------------------------------------


def cursors_holding(numbers: list[int]) -> list[str]:
    """Well-formed cursors (base64url JSON arrays, as the API writes them) whose sort key
    holds these numbers: alone, after a timestamp, and before an id."""
    keys = [
        key
        for number in numbers
        for key in ([number], ["2026-01-01T00:00:00+00:00", number], [number, 1])
    ]
    return [
        base64.urlsafe_b64encode(json.dumps(key).encode()).rstrip(b"=").decode() for key in keys
    ]


def real_path(template: str, world: World) -> str:
    """An OpenAPI path (`/accounts/{accountId}`) with a real id for each parameter."""
    return re.sub(
        r"\{([^}/]+)\}",
        lambda m: str(world.id_for(re.sub(r"(?<!^)([A-Z])", r"_\1", m.group(1)).lower())),
        template,
    )
