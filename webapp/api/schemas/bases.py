"""The wire rules every schema follows: camelCase names, strict requests, PATCH bodies that
refuse null, query strings read as text, answers read from domain objects."""

from __future__ import annotations

from typing import Any, ClassVar, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError

from webapp.api.schemas.fields import never_null
from webapp.services.shop import catalog


class WireSchema(BaseModel):
    """camelCase on the wire, snake_case in Python, one generator between the two."""

    model_config = ConfigDict(
        alias_generator=to_camel, validate_by_alias=True, validate_by_name=False
    )


class RequestSchema(WireSchema):
    model_config = ConfigDict(strict=True, extra="forbid")


class UpdateSchema(RequestSchema):
    """A PATCH body: every field may be left out, and none may be sent as `null`.

    Fields are typed `X | None = None` only so that "left out" has a value in Python: since
    `null` never gets through, None means "not sent". `changes()` holds just what was sent.
    A body that sends nothing (or no body) is refused: a PATCH that changes nothing is a
    mistake worth hearing about.
    """

    nothing_sent: ClassVar[str] = "Send at least one field to change."

    @field_validator("*", mode="before")
    @classmethod
    def _refuse_null(cls, value: object) -> object:
        # Runs only for fields present in the body: a default is never validated.
        if value is None:
            raise PydanticCustomError(
                "null_refused", "This field may not be null. Leave it out to keep its value."
            )
        return value

    @model_validator(mode="after")
    def _something_sent(self) -> Self:
        if not self.model_fields_set:
            raise PydanticCustomError("nothing_sent", self.nothing_sent)
        return self

    def changes(self) -> dict[str, Any]:
        """The fields that were sent, by their Python names."""
        return self.model_dump(exclude_unset=True)

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        # Document the fields as what they accept: never null, and no default to fall back on.
        schema = handler(core_schema)
        resolved = handler.resolve_ref_schema(schema)
        resolved["minProperties"] = 1
        for prop in resolved.get("properties", {}).values():
            never_null(prop)
            prop.pop("default", None)
        return schema


class QuerySchema(WireSchema):
    model_config = ConfigDict(extra="ignore")


class PublicSchema(WireSchema):
    model_config = ConfigDict(from_attributes=True, validate_by_name=True, serialize_by_alias=True)


class CursorQuery(QuerySchema):
    # The cached catalog head is sized by the same constant, so no page outgrows it.
    limit: int = Field(20, ge=1, le=catalog.MAX_PAGE_SIZE)
    # Opaque: only a nextCursor this API gave out; anything else is a 400 (its length is
    # checked with the rest of it). Sent empty, it is the first page.
    cursor: str | None = Field(
        None, description="A meta.pagination.nextCursor from the previous page."
    )

    @field_validator("cursor", mode="before")
    @classmethod
    def _empty_is_first_page(cls, value: object) -> object:
        return None if value == "" else value
