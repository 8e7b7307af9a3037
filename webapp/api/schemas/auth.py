"""Registration, login and refresh."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from webapp.api.schemas.bases import PublicSchema, RequestSchema
from webapp.api.schemas.fields import EmailAddress, NewPassword, UserName, example
from webapp.models.security import CODE_LENGTH


class UserCreate(RequestSchema):
    model_config = example(
        {"email": "ada@example.com", "password": "correct horse battery", "name": "Ada"}
    )

    email: EmailAddress
    password: NewPassword
    name: UserName


class LoginRequest(RequestSchema):
    model_config = example({"email": "ada@example.com", "password": "correct horse battery"})

    email: str
    password: str
    # The second factor, for a user who turned it on: a current TOTP code or a recovery code
    # (left out, or empty: none given).
    otp: Annotated[str, Field(max_length=CODE_LENGTH)] = ""


class RefreshRequest(RequestSchema):
    model_config = example({"refreshToken": "eyJhbGciOiJIUzI1NiIs…"})

    refresh_token: str


class TokenPairPublic(PublicSchema):
    access_token: str
    refresh_token: str
    token_type: Literal["Bearer"] = "Bearer"
    expires_in: int
