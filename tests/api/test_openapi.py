"""GET /api/v1/openapi.json: a valid OpenAPI 3.1 document of exactly the /api/v1 surface,
every operation complete (parameters, body, statuses with their headers, security, links),
and real answers that match it."""

from __future__ import annotations

import json
import pkgutil
from importlib import import_module
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate as validate_openapi
from pydantic import ValidationError

from tests.support.clients import bearer
from tests.support.envelopes import assert_success
from webapp.api import schemas
from webapp.api.openapi import IMPLICIT_METHODS, openapi_path
from webapp.api.operations import OPERATIONS
from webapp.api.schemas.bases import RequestSchema

DOCUMENT = "/api/v1/openapi.json"
# What gunicorn answers before the app (tests/integration/test_server_answers_documented.py).
GUNICORN_ANSWERS = ("414", "417", "431", "501")
# The operations anyone may call without a bearer token.
PUBLIC = {
    "register",
    "login",
    "refresh",
    "logout",
    "verify_email",
    "request_password_reset",
    "confirm_password_reset",
    "list_products",
    "get_product",
    "openapi_document",
}
# Every request model of every schema module, by name.
BODY_MODELS = {
    name: model
    for module in pkgutil.iter_modules(schemas.__path__)
    for name, model in vars(import_module(f"{schemas.__name__}.{module.name}")).items()
    if isinstance(model, type) and issubclass(model, RequestSchema)
}


@pytest.fixture
def document(client) -> dict[str, Any]:
    response = client.get(DOCUMENT)
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    return response.get_json()


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method.upper(), op)
        for path, item in document["paths"].items()
        for method, op in item.items()
    ]


def ref(document: dict[str, Any], pointer: str) -> dict[str, Any]:
    node: Any = document
    for part in pointer.removeprefix("#/").split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def follow(document: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """An OpenAPI object with its `$ref`s followed (responses, parameters)."""
    while "$ref" in node:
        node = ref(document, node["$ref"])
    return node


def test_the_document_is_valid_openapi_3_1(document):
    assert document["openapi"].startswith("3.1")
    validate_openapi(document)
    assert document["servers"] == [{"url": "/api/v1"}]


def test_every_api_route_is_documented_with_its_methods_and_nothing_else_is(app, document):
    routed = {
        (openapi_path(rule), method)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/")
        for method in rule.methods - IMPLICIT_METHODS
    }
    documented = {(path, method) for path, method, _ in operations(document)}
    assert documented == routed
    # No page or probe slips in: every documented operation is an API endpoint.
    endpoints = {
        rule.endpoint for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/v1/")
    }
    assert {f"api.{op['operationId']}" for _, _, op in operations(document)} == endpoints


def test_operation_ids_are_unique_and_each_operation_is_tagged_and_summarised(document):
    ids = [op["operationId"] for _, _, op in operations(document)]
    assert len(ids) == len(set(ids)) == len(OPERATIONS)
    tags = {tag["name"] for tag in document["tags"]}
    for _, _, op in operations(document):
        assert op["summary"] and len(op["tags"]) == 1 and op["tags"][0] in tags


def test_only_the_public_operations_need_no_bearer_token(document):
    schemes = document["components"]["securitySchemes"]
    assert schemes == {
        "bearerAuth": {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": schemes["bearerAuth"]["description"],
        }
    }
    for _, _, op in operations(document):
        expected = [] if op["operationId"] in PUBLIC else [{"bearerAuth": []}]
        assert op["security"] == expected, op["operationId"]


def test_every_operation_documents_its_errors_in_the_envelope_with_their_headers(document):
    for path, method, op in operations(document):
        responses = {status: follow(document, r) for status, r in op["responses"].items()}
        for status in ("400", "405", "429", "500", "503"):
            assert status in responses, (path, method, status)
        for status in GUNICORN_ANSWERS:
            # gunicorn's own page: neither the envelope nor the app's headers.
            assert set(responses.pop(status)["content"]) == {"text/html"}, (path, method)
        assert set(responses["400"]["content"]) == {"application/json", "text/html"}
        if op["security"]:
            assert "401" in responses, (path, method)
            assert responses["401"]["headers"]["WWW-Authenticate"]["required"] is True
        if "{" in path:
            assert "404" in responses, (path, method)
        if method in {"POST", "PATCH"}:
            assert {"400", "413", "415"} <= set(responses), (path, method)
        assert "Retry-After" in responses["429"]["headers"]
        for status, response in responses.items():
            assert "X-Request-ID" in response["headers"], (path, method, status)
            if status.startswith(("4", "5")):
                schema = response["content"]["application/json"]["schema"]
                assert schema["required"] == ["error", "meta"]


def test_the_document_lists_the_domain_codes_but_not_the_pages_own(document):
    """CART_CHANGED is a page's refusal (only the pages keep a cart): no operation answers it."""
    codes = document["components"]["schemas"]["Error"]["properties"]["code"]["enum"]
    assert {"CONFLICT", "IDEMPOTENCY_KEY_REUSED", "OUT_OF_STOCK"} <= set(codes)
    assert "CART_CHANGED" not in json.dumps(document)


def test_every_parameter_is_declared_with_its_schema(document):
    for path, _, op in operations(document):
        parameters = [follow(document, p) for p in op["parameters"]]
        names = {(p["in"], p["name"]) for p in parameters}
        assert ("header", "X-Request-ID") in names
        for segment in path.split("/"):
            if segment.startswith("{"):
                assert ("path", segment.strip("{}")) in names, (path, segment)
        keyed = ("header", "Idempotency-Key") in names
        assert keyed == (
            op["operationId"] in {"create_transfer", "place_order", "pay_payment_request"}
        )
        for parameter in parameters:
            assert "schema" in parameter and "null" not in str(parameter["schema"]), parameter


def test_list_queries_are_parameters_with_their_bounds(document):
    parameters = {
        p["name"]: p for p in document["paths"]["/products"]["get"]["parameters"] if "in" in p
    }
    assert parameters["limit"]["schema"] == {
        "type": "integer",
        "minimum": 1,
        "maximum": 100,
        "default": 20,
        "title": "Limit",
    }
    assert parameters["cursor"]["schema"]["type"] == "string"
    assert parameters["includeArchived"]["schema"]["type"] == "boolean"


def test_every_request_body_has_an_example_its_model_accepts(document):
    bodies = 0
    for _, _, op in operations(document):
        if "requestBody" not in op:
            continue
        bodies += 1
        content = op["requestBody"]["content"]["application/json"]
        model = BODY_MODELS[content["schema"]["$ref"].rsplit("/", 1)[1]]
        model.model_validate(content["example"])
    assert bodies == len([op for op in OPERATIONS.values() if op.body is not None]) > 10


@pytest.mark.parametrize("blank", [" ", "\v\v", "\u3000", "\x1c"])
def test_a_blank_text_the_document_accepts_its_model_accepts_too(document, blank):
    # A name is counted without its surrounding whitespace: the document must say so, or
    # a client (a fuzzer) that believes it sends a valid name gets a 422.
    checked = 0
    for _, _, op in operations(document):
        if "requestBody" not in op:
            continue
        content = op["requestBody"]["content"]["application/json"]
        model = BODY_MODELS[content["schema"]["$ref"].rsplit("/", 1)[1]]
        properties = follow(document, content["schema"])["properties"]
        for name, prop in properties.items():
            if prop.get("type") != "string" or "format" in prop:
                continue  # the services check an email's syntax (hooks.py says so)
            if list(Draft202012Validator(prop).iter_errors(blank)):
                continue  # the document refuses it
            checked += 1
            body = {**content["example"], name: blank}
            try:
                model.model_validate(body)
            except ValidationError as error:
                refused = [e for e in error.errors() if e["loc"][:1] == (name,)]
                assert not refused, (op["operationId"], name, refused)
    assert checked > 5


def test_links_name_real_operations_and_their_parameters(document):
    by_id = {op["operationId"]: (path, op) for path, _, op in operations(document)}
    linked = set()
    for _, _, op in operations(document):
        for response in op["responses"].values():
            for link in follow(document, response).get("links", {}).values():
                path, target = by_id[link["operationId"]]
                accepted = {
                    f"{p['in']}.{p['name']}" if p["in"] != "path" else p["name"]
                    for p in (follow(document, q) for q in target["parameters"])
                } | {"header.Authorization"}
                assert set(link.get("parameters", {})) <= accepted, (link, path)
                linked.add((op["operationId"], link["operationId"]))
    assert {
        ("login", "refresh"),
        ("place_order", "get_order"),
        ("create_transfer", "account_history"),
    } <= linked


def response_schema(document, path: str, method: str, status: int) -> dict[str, Any]:
    response = follow(document, document["paths"][path][method]["responses"][str(status)])
    return response["content"]["application/json"]["schema"]


def conforms(document, path: str, method: str, response) -> None:
    schema = {**response_schema(document, path, method, response.status_code)}
    validator = Draft202012Validator({**schema, "components": document["components"]})
    errors = [e.message for e in validator.iter_errors(response.get_json())]
    assert not errors, (path, method, response.status_code, errors)


def test_real_answers_match_their_documented_schemas(client, document, admin, register, login):
    register("buyer@example.com", "Buyer")
    buyer = bearer(login("buyer@example.com"))
    accounts = client.get("/api/v1/accounts", headers=buyer)
    conforms(document, "/accounts", "get", accounts)
    account = assert_success(accounts)[0]["id"]
    deposit = client.post(
        f"/api/v1/accounts/{account}/deposits", json={"amount": 50_00}, headers=admin
    )
    conforms(document, "/accounts/{accountId}/deposits", "post", deposit)
    product = client.post(
        "/api/v1/products",
        json={"sku": "DOC-1", "name": "Doc", "price": 1_00, "stock": 3},
        headers=admin,
    )
    conforms(document, "/products", "post", product)
    order = client.post(
        "/api/v1/orders",
        json={
            "accountId": account,
            "items": [{"productId": product.get_json()["data"]["id"], "quantity": 1}],
        },
        headers=buyer,
    )
    conforms(document, "/orders", "post", order)
    conforms(document, "/orders", "get", client.get("/api/v1/orders", headers=buyer))
    conforms(document, "/users", "get", client.get("/api/v1/users?include=orders", headers=admin))
    conforms(document, "/users/me", "get", client.get("/api/v1/users/me", headers=buyer))
    conforms(document, "/users/me", "get", client.get("/api/v1/users/me"))
    conforms(document, "/admin/stats", "get", client.get("/api/v1/admin/stats", headers=admin))
    conforms(document, "/admin/events", "get", client.get("/api/v1/admin/events", headers=admin))
    history = client.get(f"/api/v1/accounts/{account}/transactions", headers=buyer)
    conforms(document, "/accounts/{accountId}/transactions", "get", history)
    too_much = {"fromAccountId": account, "toAccountId": account, "amount": 10**9}
    refused = client.post("/api/v1/transfers", json=too_much, headers=buyer)
    assert refused.status_code == 422
    conforms(document, "/transfers", "post", refused)
    conforms(document, "/products/{productId}", "get", client.get("/api/v1/products/999"))


def test_an_answer_holds_only_the_fields_its_model_documents(client, document, register, login):
    register("plain@example.com", "Plain")
    me = assert_success(client.get("/api/v1/users/me", headers=bearer(login("plain@example.com"))))
    documented = document["components"]["schemas"]["UserPublic"]["properties"]
    assert set(me) == set(documented)
    assert not {"passwordHash", "password_hash", "sessionIds"} & set(me)


# --- what the document promises, the API does ----------------------------------------------


def request_strings(document, node: Any, trail: str = "") -> list[tuple[str, dict[str, Any]]]:
    """Every string schema a request can send, with where it is."""
    found = []
    if isinstance(node, dict):
        if "$ref" in node and node["$ref"].startswith("#/components/schemas/"):
            return request_strings(document, ref(document, node["$ref"]), node["$ref"])
        if node.get("type") == "string":
            found.append((trail, node))
        for key, value in node.items():
            if key not in ("examples", "example"):
                found += request_strings(document, value, f"{trail}/{key}")
    elif isinstance(node, list):
        for n, value in enumerate(node):
            found += request_strings(document, value, f"{trail}/{n}")
    return found


def test_every_string_a_request_sends_is_documented_without_nul(document):
    strings = []
    for _, _, op in operations(document):
        for parameter in op["parameters"]:
            parameter = follow(document, parameter)
            if parameter["in"] != "header":
                strings += request_strings(document, parameter["schema"], parameter["name"])
        if "requestBody" in op:
            strings += request_strings(document, op["requestBody"]["content"]["application/json"])
    assert len(strings) > 30
    for where, schema in strings:
        assert {"pattern", "enum", "const"} & set(schema), where
        assert "\x00" not in schema.get("pattern", ""), where


def test_a_nul_in_a_body_or_a_query_is_refused(client, admin):
    assert (
        client.post("/api/v1/auth/login", json={"email": "a\x00", "password": "x"}).status_code
        == 400
    )
    assert client.get("/api/v1/products?cursor=a%00b").status_code == 400


def test_a_whole_number_with_a_point_is_taken_as_that_integer(client, admin, register, login):
    register("points@example.com", "Points")
    member = bearer(login("points@example.com"))
    account = assert_success(client.get("/api/v1/accounts", headers=member))[0]["id"]
    deposit = client.post(
        f"/api/v1/accounts/{account}/deposits", json={"amount": 500.0}, headers=admin
    )
    assert assert_success(deposit, 201)["amount"] == 500
    half = client.post(
        f"/api/v1/accounts/{account}/deposits", json={"amount": 500.5}, headers=admin
    )
    assert half.status_code == 422
    balance = assert_success(client.get(f"/api/v1/accounts/{account}", headers=member))
    assert balance["balance"] == 500


@pytest.mark.parametrize("body", [{}, None])
def test_a_patch_that_sends_nothing_changes_nothing_and_says_so(client, admin, body):
    product = client.post(
        "/api/v1/products", json={"sku": "NOOP", "name": "Noop", "price": 1_00}, headers=admin
    )
    path = f"/api/v1/products/{assert_success(product, 201)['id']}"
    kwargs = {"json": body} if body is not None else {}
    response = client.patch(path, headers=admin, **kwargs)
    assert response.status_code == 422
    assert response.get_json()["error"]["details"] == {"body": "Send at least one field to change."}
    assert assert_success(client.get(path)) == assert_success(product, 201)


def test_an_empty_cursor_is_the_first_page(client):
    first = client.get("/api/v1/products?cursor=")
    assert first.status_code == 200
    assert first.get_json()["data"] == client.get("/api/v1/products").get_json()["data"]
