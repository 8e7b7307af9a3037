"""Every request and response schema of /api/v1 (XCreate, XUpdate, XPublic).

Requests are strict: a JSON string is never coerced to a number, nor a number to a
string, and unknown fields are refused. Query strings are text by nature, so query
schemas parse numbers from them (and still refuse "1.5" or "ten"). Responses are read
from domain objects and written in camelCase with ids as strings. Lengths and formats
are the services' rules (one place for the API and the forms); schemas fix the types.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator
from pydantic.alias_generators import to_camel


def _id_to_str(value: object) -> str:
    return str(value)


PublicId = Annotated[str, BeforeValidator(_id_to_str)]


class RequestSchema(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", alias_generator=to_camel)


class QuerySchema(BaseModel):
    model_config = ConfigDict(extra="ignore", alias_generator=to_camel)


class PublicSchema(BaseModel):
    model_config = ConfigDict(from_attributes=True, alias_generator=to_camel, populate_by_name=True)


# --- Pagination ---------------------------------------------------------------------------


class CursorQuery(QuerySchema):
    limit: int = Field(20, ge=1, le=100)
    cursor: str | None = Field(None, max_length=512)


# --- Auth ---------------------------------------------------------------------------------


class UserCreate(RequestSchema):
    email: str
    password: str
    name: str


class LoginRequest(RequestSchema):
    email: str
    password: str


class RefreshRequest(RequestSchema):
    refresh_token: str


class TokenPairPublic(PublicSchema):
    access_token: str
    refresh_token: str
    token_type: Literal["Bearer"] = "Bearer"
    expires_in: int


# --- Users --------------------------------------------------------------------------------


class UserPublic(PublicSchema):
    id: PublicId
    email: str
    name: str
    roles: list[str]
    is_active: bool
    created_at: datetime
    updated_at: datetime


class UserSelfUpdate(RequestSchema):
    """Either `{name}` or `{currentPassword, newPassword}` (or both)."""

    name: str | None = None
    current_password: str | None = None
    new_password: str | None = None

    @model_validator(mode="after")
    def _password_pair(self) -> UserSelfUpdate:
        if (self.current_password is None) != (self.new_password is None):
            missing = "newPassword" if self.new_password is None else "currentPassword"
            raise ValueError(f"{missing} is required to change the password")
        if self.name is None and self.new_password is None:
            raise ValueError("send name, or currentPassword and newPassword")
        return self


class UserAdminUpdate(RequestSchema):
    roles: list[str] | None = None
    is_active: bool | None = None
    name: str | None = None


class UserListQuery(CursorQuery):
    q: str | None = Field(None, max_length=254)
    role: Literal["user", "admin"] | None = None
    include: Literal["orders"] | None = None


# --- Accounts and money ---------------------------------------------------------------------


class AccountCreate(RequestSchema):
    name: str
    currency: str = "USD"


class AccountPublic(PublicSchema):
    id: PublicId
    user_id: PublicId
    name: str
    currency: str
    balance: int
    created_at: datetime
    updated_at: datetime


class AccountListQuery(CursorQuery):
    user_id: str | None = Field(None, pattern=r"^[1-9][0-9]{0,17}$")


class DepositCreate(RequestSchema):
    amount: int
    memo: str | None = None


class TransferCreate(RequestSchema):
    from_account_id: str
    to_account_id: str
    amount: int
    memo: str | None = None


class EntryLine(PublicSchema):
    account_id: PublicId
    amount: int
    balance_after: int


class TransactionPublic(PublicSchema):
    id: PublicId
    type: str
    amount: int
    currency: str
    memo: str | None
    created_at: datetime
    entries: list[EntryLine]


class HistoryLine(PublicSchema):
    """One line of an account's history: the amount is signed for that account."""

    id: PublicId
    transaction_id: PublicId
    type: str
    amount: int
    balance_after: int
    currency: str
    memo: str | None
    created_at: datetime

    @classmethod
    def of(cls, entry: Any) -> HistoryLine:
        transaction = entry.transaction
        return cls(
            id=entry.id,
            transaction_id=entry.transaction_id,
            type=transaction.type,
            amount=entry.amount,
            balance_after=entry.balance_after,
            currency=transaction.currency,
            memo=transaction.memo,
            created_at=entry.created_at,
        )


# --- Shop ----------------------------------------------------------------------------------


class ProductCreate(RequestSchema):
    sku: str
    name: str
    description: str = ""
    price: int
    currency: str = "USD"
    stock: int = 0


class ProductUpdate(RequestSchema):
    sku: str | None = None
    name: str | None = None
    description: str | None = None
    price: int | None = None
    stock: int | None = None
    is_active: bool | None = None


class ProductPublic(PublicSchema):
    id: PublicId
    sku: str
    name: str
    description: str
    price: int
    currency: str
    stock: int
    is_active: bool
    created_at: datetime
    updated_at: datetime


class ProductListQuery(CursorQuery):
    include_archived: bool = False


class OrderLineCreate(RequestSchema):
    product_id: str
    quantity: int


class OrderCreate(RequestSchema):
    account_id: str
    items: list[OrderLineCreate]


class OrderItemPublic(PublicSchema):
    product_id: PublicId
    sku: str
    name: str
    quantity: int
    unit_price: int
    line_total: int


class OrderPublic(PublicSchema):
    id: PublicId
    user_id: PublicId
    account_id: PublicId
    status: str
    total: int
    currency: str
    items: list[OrderItemPublic]
    created_at: datetime
    cancelled_at: datetime | None


class OrderListQuery(CursorQuery):
    user_id: str | None = Field(None, pattern=r"^[1-9][0-9]{0,17}$")
    status: Literal["paid", "cancelled"] | None = None


class UserWithOrders(UserPublic):
    orders: list[OrderPublic]
