"""Each /api/v1 operation declared once: whom it lets in, what it reads, what it answers.

`@operation(...)` does the work at request time — the bearer token and role, the
Idempotency-Key, the query string and the JSON body through their pydantic models, and the
answer through its response model into the envelope — and the same declaration is what
the OpenAPI document (`webapp.api.openapi`) is written from, so code and document cannot
drift. A view receives parsed values (`query=`, `body=`) and returns domain objects (or a
`Page` of them); a field its response model lacks never reaches the wire.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, is_dataclass
from functools import wraps
from typing import Any

import pydantic
from flask import Response, request
from pydantic import TypeAdapter

from webapp.api.auth_guard import authorize, principal
from webapp.api.envelope import cursor_pagination, no_content
from webapp.api.idempotency import outcome_response, request_fingerprint, request_key
from webapp.api.schemas.bases import CursorQuery, QuerySchema, RequestSchema
from webapp.core.errors import ValidationError
from webapp.edge.envelope import json_response, success_envelope_encoded
from webapp.repositories.keyset import Page
from webapp.services.idempotency import IdempotencyService

View = Callable[..., Any]


@dataclass(frozen=True)
class Link:
    """An OpenAPI link: a value of this answer feeds a parameter of another operation."""

    operation_id: str
    parameters: Mapping[str, str] = field(default_factory=dict)
    request_body: Mapping[str, str] | None = None
    description: str = ""


@dataclass(frozen=True)
class Download:
    """An answer outside the envelope: a file to save, streamed as the view's own Response
    (its errors still come in the envelope)."""

    media_type: str  # as the OpenAPI document names it ("text/csv")
    description: str
    # The file's JSON Schema in the document: text unless told (a JSON file is an object).
    schema: Mapping[str, Any] = field(default_factory=lambda: {"type": "string"})


@dataclass(frozen=True)
class Operation:
    name: str  # the view's name: its endpoint is "api.<name>", its operationId the same
    tag: str
    summary: str
    description: str
    status: int  # the success status
    query: type[QuerySchema] | None
    body: type[RequestSchema] | None
    response: Any  # a PublicSchema subclass, a union of them, or None (no body)
    paginated: bool
    auth: bool  # a bearer token is required
    roles: tuple[str, ...]  # …and one of these roles, when any
    idempotent: bool  # honours Idempotency-Key
    refusals: tuple[int, ...]  # statuses the service may answer beyond what the rest implies
    links: Mapping[str, Link]
    enveloped: bool  # False for the OpenAPI document itself and for a download
    download: Download | None  # the file a download answers with
    adapter: TypeAdapter[Any] | None

    @property
    def has_cursor(self) -> bool:
        return self.query is not None and issubclass(self.query, CursorQuery)


# Every declared operation by view name, in declaration order.
OPERATIONS: dict[str, Operation] = {}


def as_sentence(message: str) -> str:
    """pydantic's message ("Field required", "Input should be a valid integer") as the API's
    other messages read: a capital first letter and a full stop."""
    message = message.strip()
    if message and message[-1] not in ".!?":
        message += "."
    return message[:1].upper() + message[1:]


def field_errors(error: pydantic.ValidationError) -> dict[str, str]:
    """pydantic's errors as {"field.path": "A sentence."}, the first message per field."""
    details: dict[str, str] = {}
    for item in error.errors(include_url=False, include_context=False, include_input=False):
        name = ".".join(str(part) for part in item["loc"]) or "body"
        details.setdefault(name, as_sentence(item["msg"]))
    return details


def parse(model: type[pydantic.BaseModel], data: Any) -> Any:
    try:
        return model.model_validate(data)
    except pydantic.ValidationError as error:
        raise ValidationError(details=field_errors(error)) from None


def fields_of(value: Any) -> Any:
    """A service's dataclass record as its field dict, anything else as it is: pydantic
    validates a dict about three times faster than it reads the same fields as attributes."""
    if is_dataclass(value) and hasattr(value, "__dict__") and not isinstance(value, type):
        return value.__dict__
    return value


def serialize(op: Operation, result: Any, limit: int | None) -> Response:
    """The view's result through the response model, into the envelope."""
    if op.download is not None:
        return result  # the file, streamed
    if op.adapter is None:
        return no_content()
    if not op.enveloped:
        return json_response(result, op.status)
    if op.paginated:
        page: Page[Any] = result
        items = op.adapter.validate_python(
            [fields_of(item) for item in page.items], from_attributes=True
        )
        return success_envelope_encoded(
            op.adapter.dump_json(items, by_alias=True),
            op.status,
            pagination=cursor_pagination(page, limit or len(page.items)),
        )
    value = op.adapter.validate_python(fields_of(result), from_attributes=True)
    return success_envelope_encoded(op.adapter.dump_json(value, by_alias=True), op.status)


def wire_data(op: Operation, result: Any) -> Any:
    """The view's result through the response model as JSON-ready values: what an
    Idempotency-Key stores and replays."""
    assert op.adapter is not None and not op.paginated
    value = op.adapter.validate_python(fields_of(result), from_attributes=True)
    return op.adapter.dump_python(value, mode="json", by_alias=True)


def operation(
    tag: str,
    *,
    status: int = 200,
    query: type[QuerySchema] | None = None,
    body: type[RequestSchema] | None = None,
    response: Any = None,
    paginated: bool = False,
    auth: bool = True,
    roles: tuple[str, ...] = (),
    idempotent: bool = False,
    refusals: tuple[int, ...] = (),
    links: Mapping[str, Link] | None = None,
    enveloped: bool = True,
    download: Download | None = None,
) -> Callable[[View], View]:
    """Declare and run an /api/v1 operation (see the module's docstring). A `download`
    view returns the file's Response itself."""
    enveloped = enveloped and download is None

    def decorate(view: View) -> View:
        summary, _, description = (view.__doc__ or view.__name__).strip().partition("\n")
        adapter = None
        if response is not None:
            adapter = TypeAdapter(list[response] if paginated else response)  # type: ignore[valid-type]
        op = Operation(
            name=view.__name__,
            tag=tag,
            summary=summary.strip(),
            description=" ".join(description.split()),
            status=204 if response is None and enveloped else status,
            query=query,
            body=body,
            response=response,
            paginated=paginated,
            auth=auth,
            roles=roles,
            idempotent=idempotent,
            refusals=refusals,
            links=links or {},
            enveloped=enveloped,
            download=download,
            adapter=adapter,
        )
        assert op.name not in OPERATIONS, f"two operations named {op.name}"
        # A keyed answer is stored per user, as one enveloped body.
        assert not idempotent or (auth and adapter is not None and enveloped and not paginated)
        OPERATIONS[op.name] = op

        def parse_arguments(path_args: dict[str, Any]) -> tuple[dict[str, Any], int | None]:
            """The view's arguments: the path's, and the query and body parsed (422)."""
            arguments = dict(path_args)
            limit = None
            if query is not None:
                arguments["query"] = parsed = parse(query, request.args.to_dict())
                limit = getattr(parsed, "limit", None)
            if body is not None:
                arguments["body"] = parse(body, request.get_json(silent=True) or {})
            return arguments, limit

        @wraps(view)
        def run(**path_args: Any) -> Response:
            if auth:
                authorize(roles)
            key = request_key() if idempotent else None
            arguments, limit = parse_arguments(path_args)
            if key is None:
                return serialize(op, view(**arguments), limit)
            outcome = IdempotencyService().run(
                principal().user_id,
                key,
                request_fingerprint(),
                lambda: (op.status, wire_data(op, view(**arguments))),
            )
            return outcome_response(outcome)

        run.operation = op  # type: ignore[attr-defined]
        return run

    return decorate
