"""Users: a member's own profile and the admin's directory."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from webapp.api.schemas.bases import CursorQuery, PublicSchema, RequestSchema, UpdateSchema
from webapp.api.schemas.fields import NewPassword, PublicId, Role, UserName, example
from webapp.api.schemas.shop import OrderPublic
from webapp.core.email_address import MAX_EMAIL_LENGTH
from webapp.models.user import ROLE_USER


class UserPublic(PublicSchema):
    id: PublicId
    email: str
    name: str
    roles: list[str]
    is_active: bool
    email_verified: bool
    mfa_enabled: bool
    notify_money_received: bool = Field(
        description="Whether the user is mailed for each transfer received and each deposit."
    )
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None = Field(
        None, description="When the member closed the account (null while it is open)."
    )


class UserSelfUpdate(UpdateSchema):
    """`{name}`, `{notifyMoneyReceived}` and/or `{currentPassword, newPassword}`."""

    model_config = example(
        {"name": "Ada Lovelace"},
        dependentRequired={
            "currentPassword": ["newPassword"],
            "newPassword": ["currentPassword"],
        },
    )
    nothing_sent: ClassVar[str] = (
        "Send name, notifyMoneyReceived, or currentPassword and newPassword."
    )

    name: UserName | None = None
    notify_money_received: bool | None = Field(
        None, description="true: mail me for each transfer received and each deposit."
    )
    current_password: str | None = None
    new_password: NewPassword | None = None

    @model_validator(mode="after")
    def _password_pair(self) -> UserSelfUpdate:
        sent = self.model_fields_set
        if ("current_password" in sent) != ("new_password" in sent):
            missing = "newPassword" if "new_password" not in sent else "currentPassword"
            raise PydanticCustomError(
                "password_pair",
                "Send {missing} too to change the password.",
                {"missing": missing},
            )
        return self


class UserAdminUpdate(UpdateSchema):
    model_config = example({"roles": ["user", "admin"]})

    # The service's rule (a user always keeps the "user" role), stated in the document too.
    roles: list[Role] | None = Field(None, json_schema_extra={"contains": {"const": ROLE_USER}})
    is_active: bool | None = None
    name: UserName | None = None


class UserListQuery(CursorQuery):
    q: str | None = Field(None, max_length=MAX_EMAIL_LENGTH)
    role: Role | None = None
    include: Literal["orders"] | None = None


class UserWithOrders(UserPublic):
    orders: list[OrderPublic]


class AccountClose(RequestSchema):
    """`{password}`: closing the account asks for it once more."""

    model_config = example({"password": "correct horse battery"})

    password: str
