"""The OpenAPI 3.1 document of /api/v1, written from the operations' declarations.

Paths and methods come from the app's URL map, everything else from each route's
`@operation(...)` and its pydantic models (pydantic's own JSON Schema), so the document
says what the code does. Every operation lists every status it can answer: its success,
what its declaration implies (a token → 401, a role → 403, a method that writes → 403 for a
read-only personal access token, a path id → 404, a body → 413, 415, 422, an
Idempotency-Key → 409, 422), what its service may refuse (`refusals`), what any request
may meet (400: the text guard reads every query string, as well as a body, a cursor or an
Idempotency-Key; 405, 429, 500, 503), and what gunicorn answers itself, before the app
sees the request (414, 417, 431, 501, and a 400 of its own), as its own text/html page.
"""

from __future__ import annotations

import re
from typing import Any, get_origin

from flask import Flask, current_app
from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue, models_json_schema
from pydantic_core import core_schema
from werkzeug.routing import Rule

from webapp.api import idempotency
from webapp.api.auth_guard import SAFE_METHODS
from webapp.api.blueprint import bp
from webapp.api.operations import OPERATIONS, Operation, operation
from webapp.api.schemas.fields import never_null
from webapp.api.validation import BODY_METHODS
from webapp.core.errors import AppError, CartChanged
from webapp.core.ids import ID_PATTERN
from webapp.edge.errors import HTTP_ERROR_CODES
from webapp.infra.logging import REQUEST_ID_HEADER, REQUEST_ID_PATTERN
from webapp.services import idempotency as idempotency_keys

OPENAPI_VERSION = "3.1.0"
API_VERSION = "1.0.0"
SCHEMAS = "#/components/schemas/"
RESPONSES = "#/components/responses/"
BEARER = "bearerAuth"
# Methods Flask adds to every rule by itself.
IMPLICIT_METHODS = frozenset({"HEAD", "OPTIONS"})
# Statuses any request may meet, whatever its operation: 400 among them, as the text guard
# (webapp.edge.text_guard) reads every request's query string before any route.
ALWAYS = frozenset({400, 405, 429, 500, 503})
# What gunicorn (gunicorn.conf.py) answers on its own, before the app: a request line or a
# header over its limits, an Expect it does not know, a Transfer-Encoding it cannot read.
SERVER_ANSWERS = frozenset({414, 417, 431, 501})

RESPONSE_NAMES = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    409: "Conflict",
    413: "PayloadTooLarge",
    414: "UriTooLong",
    415: "UnsupportedMediaType",
    417: "ExpectationFailed",
    422: "UnprocessableContent",
    429: "TooManyRequests",
    431: "HeaderFieldsTooLarge",
    500: "InternalError",
    501: "NotImplemented",
    503: "ServiceUnavailable",
}
# gunicorn's own answer: a short HTML page, without the envelope or X-Request-ID.
SERVER_PAGE = (
    " gunicorn answers this itself, before the app sees the request: the body is its own "
    "short text/html page, not the JSON envelope, and has no X-Request-ID."
)
RESPONSE_DESCRIPTIONS = {
    400: (
        "Text that no database can store (NUL or a lone surrogate) in the query, a form or "
        "the body; a body that is not JSON or not an object; a malformed cursor or "
        "Idempotency-Key. All in the envelope (application/json), except a request line or "
        "header gunicorn cannot parse, which it refuses itself with a short text/html page."
    ),
    401: (
        "No, an invalid, an expired or a revoked token; or wrong credentials. "
        "REAUTHENTICATION_REQUIRED: the action needs a login newer than REAUTH_WINDOW."
    ),
    403: (
        "Authenticated, but lacking the role; a personal access token without the scope; "
        "or a deactivated account's login."
    ),
    404: "No such route or resource, or one the caller may not see.",
    405: "The path does not take this method (see Allow).",
    409: (
        "A conflict with the current state (taken, not cancellable, a key in flight). "
        "ACCOUNT_NOT_EMPTY: an account to close still holds money."
    ),
    413: "The body is over 64 KiB.",
    414: (
        "The request line (method, path and query string) is longer than gunicorn's "
        "limit_request_line (4094 bytes unless configured)." + SERVER_PAGE
    ),
    415: "A body that is not application/json.",
    417: "An Expect header other than 100-continue." + SERVER_PAGE,
    422: "Invalid fields (details maps field → message), or a business rule refused it.",
    429: "Rate limited: wait Retry-After seconds.",
    431: (
        "A header longer than gunicorn's limit_request_field_size (8190 bytes unless "
        "configured), or more headers than its limit_request_fields (100)." + SERVER_PAGE
    ),
    500: "Something went wrong on the server (never a stack trace).",
    501: (
        "A Transfer-Encoding other than chunked, gzip, deflate, compress or identity." + SERVER_PAGE
    ),
    503: "The database is unreachable.",
}
TAGS = {
    "auth": "Register, log in for tokens, refresh, log out.",
    "users": "The caller's profile, and user administration.",
    "accounts": "Wallet accounts, balances, history and deposits.",
    "transfers": "Money between accounts.",
    "payment-requests": "Asking another member for money; paying, declining, cancelling.",
    "shop": "The product catalog.",
    "orders": "Buying from the catalog, and cancelling.",
    "admin": "The system's figures and the audit log.",
    "meta": "This document.",
}

SERVER_PAGE_CONTENT = {"text/html": {"schema": {"type": "string"}}}

PATH_ARGUMENT = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")
# webapp.edge.text_guard refuses NUL in any text a request sends (a body's or a query's): every
# string the document asks for says so, unless a pattern of its own already does.
WITHOUT_NUL = "^[^\\u0000]*$"


class RequestTextWithoutNul(GenerateJsonSchema):
    """pydantic's JSON Schema, with the NUL rule on each string a request sends."""

    def str_schema(self, schema: core_schema.StringSchema) -> JsonSchemaValue:
        json_schema = super().str_schema(schema)
        if self.mode == "validation" and "pattern" not in json_schema:
            json_schema["pattern"] = WITHOUT_NUL
        return json_schema


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def openapi_path(rule: Rule) -> str:
    """`/api/v1/orders/<id:order_id>` → `/orders/{orderId}` (the server URL is /api/v1)."""
    path = PATH_ARGUMENT.sub(lambda m: "{" + camel(m.group(1)) + "}", rule.rule)
    return path.removeprefix(bp.url_prefix or "")


def documented_methods(rule: Rule) -> list[str]:
    return sorted((rule.methods or set()) - IMPLICIT_METHODS)


def api_rules(app: Flask) -> list[Rule]:
    """The rules of /api/v1 operations, in the order they were declared."""
    rules = [r for r in app.url_map.iter_rules() if r.endpoint.startswith(f"{bp.name}.")]
    order = list(OPERATIONS)
    return sorted(rules, key=lambda r: order.index(r.endpoint.removeprefix(f"{bp.name}.")))


def operation_of(rule: Rule) -> Operation:
    return OPERATIONS[rule.endpoint.removeprefix(f"{bp.name}.")]


def statuses_of(op: Operation, rule: Rule, method: str) -> list[int]:
    """Every status this operation can answer with (see the module's docstring)."""
    found = {op.status, *ALWAYS, *SERVER_ANSWERS, *op.refusals}
    if rule.arguments:
        found.add(404)
    if op.auth:
        found.add(401)
    if op.roles or method not in SAFE_METHODS:
        found.add(403)  # a role; or a personal access token without `write`
    if method in BODY_METHODS:
        found |= {413, 415}
    if op.body is not None or op.query is not None:
        found.add(422)
    if op.idempotent:
        found |= {409, 422}
    return sorted(found)


# Domain errors that only the pages meet: no operation can answer with them.
PAGE_ONLY_ERRORS: frozenset[type[AppError]] = frozenset({CartChanged})


def error_codes() -> dict[int, list[str]]:
    """Per status, every error code an answer may carry: the domain's and HTTP's own."""
    codes: dict[int, set[str]] = {status: {code} for status, (code, _) in HTTP_ERROR_CODES.items()}
    pending: list[type[AppError]] = [AppError]
    while pending:
        error = pending.pop()
        if error not in PAGE_ONLY_ERRORS:
            codes.setdefault(error.status, set()).add(error.code)
        pending.extend(error.__subclasses__())
    return {status: sorted(found) for status, found in codes.items()}


# --- schemas ----------------------------------------------------------------------------------


def models_of(operations: list[Operation]) -> list[tuple[type[BaseModel], Any]]:
    """Each model the document needs, with the mode it is used in."""
    needed: dict[tuple[type[BaseModel], str], None] = {}
    for op in operations:
        for model in (op.query, op.body):
            if model is not None:
                needed[(model, "validation")] = None
        for model in response_models(op):
            needed[(model, "serialization")] = None
    return list(needed)


def response_models(op: Operation) -> list[type[BaseModel]]:
    if op.response is None or not op.enveloped:
        return []
    members = getattr(op.response, "__args__", None) or (op.response,)
    return [m for m in members if isinstance(m, type) and issubclass(m, BaseModel)]


def data_schema(op: Operation, refs: dict[tuple[type[BaseModel], Any], Any]) -> dict[str, Any]:
    models = response_models(op)
    one = (
        refs[(models[0], "serialization")]
        if len(models) == 1
        else {"anyOf": [refs[(m, "serialization")] for m in models]}
    )
    listed = op.paginated or get_origin(op.response) is list
    return {"type": "array", "items": one} if listed else one


def envelope_schemas(codes: dict[int, list[str]]) -> dict[str, Any]:
    every_code = sorted({code for found in codes.values() for code in found})
    return {
        "Meta": {
            "type": "object",
            "required": ["requestId", "timestamp"],
            "properties": {
                "requestId": {"type": "string"},
                "timestamp": {"type": "string", "format": "date-time"},
            },
        },
        "CursorPagination": {
            "type": "object",
            "required": ["limit", "nextCursor", "hasMore"],
            "properties": {
                "limit": {"type": "integer", "minimum": 1},
                "nextCursor": {"type": ["string", "null"]},
                "hasMore": {"type": "boolean"},
            },
        },
        "PagedMeta": {
            "allOf": [
                {"$ref": f"{SCHEMAS}Meta"},
                {
                    "type": "object",
                    "required": ["pagination"],
                    "properties": {"pagination": {"$ref": f"{SCHEMAS}CursorPagination"}},
                },
            ]
        },
        "Error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string", "enum": every_code},
                "message": {"type": "string"},
                "details": {
                    "type": "object",
                    "description": "field → message",
                    "additionalProperties": {"type": "string"},
                },
            },
        },
    }


def error_response(status: int, codes: list[str]) -> dict[str, Any]:
    if status in SERVER_ANSWERS:
        return {"description": RESPONSE_DESCRIPTIONS[status], "content": SERVER_PAGE_CONTENT}
    headers: dict[str, Any] = {REQUEST_ID_HEADER: {"$ref": "#/components/headers/RequestId"}}
    if status == 401:
        headers["WWW-Authenticate"] = header("The scheme to authenticate with: Bearer.")
    if status == 405:
        headers["Allow"] = header("The methods this path takes.")
    if status == 429:
        headers["Retry-After"] = header("Seconds to wait before trying again.", "integer")
        for name in ("Limit", "Remaining", "Reset"):
            headers[f"X-RateLimit-{name}"] = header(f"The limit's {name.lower()}.", "integer")
    schema = {
        "type": "object",
        "required": ["error", "meta"],
        "properties": {
            "error": {
                "allOf": [
                    {"$ref": f"{SCHEMAS}Error"},
                    {"properties": {"code": {"enum": codes}}},
                ]
            },
            "meta": {"$ref": f"{SCHEMAS}Meta"},
        },
    }
    content: dict[str, Any] = {"application/json": {"schema": schema}}
    if status == 400:
        content.update(SERVER_PAGE_CONTENT)  # gunicorn's, for a request it cannot parse
    return {"description": RESPONSE_DESCRIPTIONS[status], "headers": headers, "content": content}


def header(description: str, kind: str = "string", required: bool = True) -> dict[str, Any]:
    return {"description": description, "required": required, "schema": {"type": kind}}


# --- operations --------------------------------------------------------------------------------


def parameters_of(op: Operation, rule: Rule, defs: dict[str, Any], refs: Any) -> list[Any]:
    parameters: list[Any] = [
        {
            "name": camel(argument),
            "in": "path",
            "required": True,
            "schema": {"type": "string", "pattern": f"^{ID_PATTERN}$"},
        }
        for argument in sorted(rule.arguments, key=rule.rule.index)
    ]
    if op.query is not None:
        schema = resolve(refs[(op.query, "validation")], defs)
        required = set(schema.get("required", ()))
        for name, prop in schema.get("properties", {}).items():
            parameters.append(
                {
                    "name": name,
                    "in": "query",
                    "required": name in required,
                    "schema": never_null(dict(prop)),
                }
            )
    if op.idempotent:
        parameters.append({"$ref": "#/components/parameters/IdempotencyKey"})
    parameters.append({"$ref": "#/components/parameters/RequestId"})
    return parameters


def resolve(ref: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    return defs[ref["$ref"].removeprefix(SCHEMAS)]


def success_response(op: Operation, refs: Any) -> dict[str, Any]:
    headers: dict[str, Any] = {REQUEST_ID_HEADER: {"$ref": "#/components/headers/RequestId"}}
    if op.idempotent:
        headers[idempotency.REPLAYED_HEADER] = header(
            "true when this is the stored answer to an earlier request with the same key.",
            required=False,
        )
    response: dict[str, Any] = {"description": op.summary, "headers": headers}
    if op.download is not None:
        headers["Content-Disposition"] = header(
            'attachment; filename="…": the name to save the file under.'
        )
        response["content"] = {
            op.download.media_type: {
                "schema": {**op.download.schema, "description": op.download.description}
            }
        }
    elif op.response is not None and not op.enveloped:
        response["content"] = {"application/json": {"schema": {"type": "object"}}}
    elif op.response is not None:
        meta = "PagedMeta" if op.paginated else "Meta"
        response["content"] = {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["data", "meta"],
                    "properties": {
                        "data": data_schema(op, refs),
                        "meta": {"$ref": f"{SCHEMAS}{meta}"},
                    },
                }
            }
        }
    if op.links:
        response["links"] = {
            name: {
                "operationId": link.operation_id,
                **({"parameters": dict(link.parameters)} if link.parameters else {}),
                **({"requestBody": dict(link.request_body)} if link.request_body else {}),
                **({"description": link.description} if link.description else {}),
            }
            for name, link in op.links.items()
        }
    return response


def operation_object(
    op: Operation, rule: Rule, method: str, defs: dict[str, Any], refs: Any
) -> dict[str, Any]:
    document: dict[str, Any] = {
        "operationId": op.name,
        "tags": [op.tag],
        "summary": op.summary,
        "parameters": parameters_of(op, rule, defs, refs),
    }
    if op.description:
        document["description"] = op.description
    if op.body is not None:
        examples = op.body.model_config.get("json_schema_extra") or {}
        content: dict[str, Any] = {"schema": refs[(op.body, "validation")]}
        if isinstance(examples, dict) and examples.get("examples"):
            content["example"] = examples["examples"][0]
        document["requestBody"] = {"required": True, "content": {"application/json": content}}
    responses: dict[str, Any] = {}
    for status in statuses_of(op, rule, method):
        if status == op.status:
            responses[str(status)] = success_response(op, refs)
        else:
            responses[str(status)] = {"$ref": f"{RESPONSES}{RESPONSE_NAMES[status]}"}
    document["responses"] = responses
    document["security"] = [{BEARER: []}] if op.auth else []
    return document


def build_document(app: Flask) -> dict[str, Any]:
    rules = api_rules(app)
    operations = [operation_of(rule) for rule in rules]
    refs, top = models_json_schema(
        models_of(operations),
        ref_template=SCHEMAS + "{model}",
        schema_generator=RequestTextWithoutNul,
    )
    defs: dict[str, Any] = top.get("$defs", {})
    paths: dict[str, dict[str, Any]] = {}
    for rule, op in zip(rules, operations, strict=True):
        for method in documented_methods(rule):
            paths.setdefault(openapi_path(rule), {})[method.lower()] = operation_object(
                op, rule, method, defs, refs
            )
    # The query models became parameters; only bodies and answers stay as schemas.
    for op in operations:
        if op.query is not None:
            defs.pop(refs[(op.query, "validation")]["$ref"].removeprefix(SCHEMAS), None)
    codes = error_codes()
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "Tally API",
            "version": API_VERSION,
            "description": (
                "Wallets, transfers and a shop. Every answer with a body is the envelope "
                "`{data, meta}` or `{error, meta}`, except this document and a file to "
                "download (a statement's CSV, a member's export), whose errors are still "
                "enveloped; ids are strings, money integer minor units; lists are cursor pages."
            ),
        },
        "servers": [{"url": bp.url_prefix}],
        "tags": [{"name": name, "description": text} for name, text in TAGS.items()],
        "paths": paths,
        "components": {
            "schemas": {**defs, **envelope_schemas(codes)},
            "responses": {
                RESPONSE_NAMES[status]: error_response(status, codes.get(status, []))
                for status in RESPONSE_NAMES
            },
            "parameters": {
                "RequestId": {
                    "name": REQUEST_ID_HEADER,
                    "in": "header",
                    "required": False,
                    "description": (
                        "Your id for this request, echoed back when it matches "
                        f"{REQUEST_ID_PATTERN.pattern}; otherwise the server makes one."
                    ),
                    "schema": {"type": "string"},
                },
                "IdempotencyKey": {
                    "name": idempotency.HEADER,
                    "in": "header",
                    "required": False,
                    "description": (
                        "Send the same key to retry safely: the first answer is replayed "
                        "(24 h, per user); another body with it is a 422."
                    ),
                    "schema": {
                        "type": "string",
                        "maxLength": idempotency_keys.MAX_KEY_LENGTH,
                        "pattern": idempotency_keys.KEY_SCHEMA_PATTERN,
                    },
                },
            },
            "headers": {
                "RequestId": {
                    "description": "This request's id (yours when valid), as in meta.requestId.",
                    "required": True,
                    "schema": {"type": "string"},
                }
            },
            "securitySchemes": {
                BEARER: {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": (
                        "An access token from POST /auth/login or /auth/refresh, or a "
                        "personal access token (tly_…) from POST /tokens."
                    ),
                }
            },
        },
    }


def document_for(app: Flask) -> dict[str, Any]:
    """The app's document, built once (the routes do not change while it runs)."""
    if "tally.openapi" not in app.extensions:
        app.extensions["tally.openapi"] = build_document(app)
    return app.extensions["tally.openapi"]


@bp.get("/openapi.json")
@operation("meta", auth=False, response=dict[str, Any], enveloped=False)
def openapi_document() -> dict[str, Any]:
    """This document: OpenAPI 3.1 of /api/v1 (an answer outside the envelope)."""
    return document_for(current_app)
