"""Every number the API reads (a path id, a query parameter, a number or an id in a body, a
sort key inside a cursor) refuses one that no BIGINT holds, or that no row has, with a
status the OpenAPI document lists for that operation: never a 5xx, on SQLite and on
PostgreSQL, as an admin and as a member.

The routes, parameters and fields come from the app's URL map and its OpenAPI document,
so an operation added later is walked too (tests/support/number_walk.py)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.support.answered_statuses import documented_statuses
from tests.support.envelopes import assert_error
from tests.support.number_walk import (
    BEYOND_BIGINT,
    LARGEST_SENDABLE,
    NUMBERS,
    OUT_OF_RANGE,
    World,
    build_world,
    cursors_holding,
    paths_naming_out_of_range_ids,
    real_path,
    rules_with_ids,
)
from webapp.core.ids import BIGINT_MAX, BIGINT_MIN, ID_PATTERN


@pytest.fixture
def world(app, client, make_admin) -> World:
    return build_world(app, client, make_admin)


@pytest.fixture
def document(client) -> dict[str, Any]:
    return client.get("/api/v1/openapi.json").get_json()


def callers(world: World) -> dict[str, dict[str, str]]:
    return {"admin": world.admin, "member": world.member}


def assert_refused_as_documented(response, documented: set[int], sent: object) -> None:
    assert 400 <= response.status_code < 500, (sent, response.get_data(as_text=True)[:500])
    assert response.status_code in documented, (sent, response.status_code, sorted(documented))
    assert set(response.get_json()) == {"error", "meta"}, sent


def test_a_path_id_out_of_range_matches_no_route_and_the_largest_names_nothing(
    app, client, world, document
):
    documented = documented_statuses(document)
    walked = 0
    for rule, method in rules_with_ids(app, "api."):
        for path, number in paths_naming_out_of_range_ids(app, rule, world):
            for who, headers in callers(world).items():
                response = client.open(path, method=method, headers=headers)
                sent = (who, method, path)
                if number == LARGEST_SENDABLE:  # the route's own answer: nothing has that id
                    assert_refused_as_documented(
                        response, documented[(rule.endpoint, method)], sent
                    )
                else:
                    assert_error(response, 404, "NOT_FOUND")
                walked += 1
    assert walked > 100


def numeric(parameter: dict[str, Any]) -> bool:
    """A query parameter that holds a number or an id."""
    schema = parameter.get("schema", {})
    return (
        schema.get("type") == "integer"
        or schema.get("pattern") == f"^{ID_PATTERN}$"
        or parameter["name"].endswith("Id")
    )


def test_every_numeric_query_parameter_refuses_a_number_out_of_range(client, world, document):
    documented = documented_statuses(document)
    walked = 0
    for path, item in document["paths"].items():
        for method, op in item.items():
            parameters = [p for p in op["parameters"] if p.get("in") == "query" and numeric(p)]
            url = "/api/v1" + real_path(path, world)
            statuses = documented[(f"api.{op['operationId']}", method.upper())]
            for parameter in parameters:
                for number in NUMBERS:
                    for who, headers in callers(world).items():
                        response = client.open(
                            url,
                            method=method.upper(),
                            query_string={parameter["name"]: str(number)},
                            headers=headers,
                        )
                        sent = (who, method, url, parameter["name"], number)
                        assert_refused_as_documented(response, statuses, sent)
                        walked += 1
    assert walked >= 100


def test_a_cursor_holding_a_number_no_bigint_holds_is_a_400(client, world, document):
    documented = documented_statuses(document)
    walked = 0
    for path, item in document["paths"].items():
        for method, op in item.items():
            if not any(p.get("name") == "cursor" for p in op["parameters"]):
                continue
            url = "/api/v1" + real_path(path, world)
            statuses = documented[(f"api.{op['operationId']}", method.upper())]
            for who, headers in callers(world).items():
                for cursor in cursors_holding(BEYOND_BIGINT):
                    response = client.get(url, query_string={"cursor": cursor}, headers=headers)
                    assert_refused_as_documented(response, statuses, (who, url, cursor))
                    if who == "admin":  # may read every list: the cursor is what is refused
                        assert_error(response, 400, "BAD_REQUEST")
                    walked += 1
                for cursor in cursors_holding([BIGINT_MAX, BIGINT_MIN]):  # a BIGINT, though
                    response = client.get(url, query_string={"cursor": cursor}, headers=headers)
                    assert response.status_code in statuses - {500}, (who, url, cursor)
    assert walked >= 50


# --- bodies ------------------------------------------------------------------------------


def resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def number_fields(document: dict[str, Any], schema: dict[str, Any]) -> list[tuple[Any, ...]]:
    """The paths (keys and list indexes) of every number or id a body may hold."""
    found: list[tuple[Any, ...]] = []
    for name, prop in resolve(document, schema).get("properties", {}).items():
        prop = resolve(document, prop)
        if prop.get("type") == "integer" or name == "id" or name.endswith("Id"):
            found.append((name,))
        elif prop.get("type") == "object":
            found += [(name, *inner) for inner in number_fields(document, prop)]
        elif prop.get("type") == "array" and "properties" in resolve(document, prop["items"]):
            found += [(name, 0, *inner) for inner in number_fields(document, prop["items"])]
    return found


def with_value(body: dict[str, Any], where: tuple[Any, ...], value: object) -> dict[str, Any]:
    changed = copy.deepcopy(body)
    holder: Any = changed
    for step in where[:-1]:
        holder = holder[step]
    holder[where[-1]] = value
    return changed


def test_every_number_and_id_in_a_body_refuses_a_number_out_of_range(client, world, document):
    documented = documented_statuses(document)
    walked = 0
    for path, item in document["paths"].items():
        for method, op in item.items():
            if "requestBody" not in op:
                continue
            content = op["requestBody"]["content"]["application/json"]
            url = "/api/v1" + real_path(path, world)
            statuses = documented[(f"api.{op['operationId']}", method.upper())]
            for where in number_fields(document, content["schema"]):
                for number in NUMBERS:
                    for value in (number, str(number)):
                        body = with_value(content["example"], where, value)
                        for who, headers in callers(world).items():
                            response = client.open(
                                url, method=method.upper(), json=body, headers=headers
                            )
                            sent = (who, method, url, body)
                            assert response.status_code < 500, (sent, response.get_json())
                            if number in OUT_OF_RANGE:
                                assert_refused_as_documented(response, statuses, sent)
                            else:  # a stock of 0 is a stock
                                assert response.status_code in statuses, sent
                            walked += 1
    assert walked >= 200
