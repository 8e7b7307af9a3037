"""Every request and response schema of /api/v1 (XCreate, XUpdate, XPublic).

Requests are strict: a JSON string is never coerced to a number, nor a number to a
string, and unknown fields are refused. Responses are read from domain objects and
written in camelCase with ids as strings.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict
from pydantic.alias_generators import to_camel


def _id_to_str(value: object) -> str:
    return str(value)


PublicId = Annotated[str, BeforeValidator(_id_to_str)]


class RequestSchema(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", alias_generator=to_camel)


class PublicSchema(BaseModel):
    model_config = ConfigDict(from_attributes=True, alias_generator=to_camel, populate_by_name=True)


class UserCreate(RequestSchema):
    # Lengths and formats are the service's rules (one place for the API and the forms);
    # the schema fixes the types.
    email: str
    password: str
    name: str


class UserPublic(PublicSchema):
    id: PublicId
    email: str
    name: str
    roles: list[str]
    is_active: bool
    created_at: datetime
    updated_at: datetime
