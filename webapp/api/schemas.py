"""Every request and response schema of /api/v1 (XCreate, XUpdate, XPublic).

Wire names are camelCase, generated from the Python names by one alias generator (never
spelled by hand). Requests are strict: a JSON string is never coerced to a number, nor a
number to a string, and unknown fields are refused. A PATCH body changes what it sends:
a field left out is left alone, and `null` is refused rather than read as "leave it".
Query strings are text by nature, so query schemas parse numbers from them (and still
refuse "1.5" or "ten"). Responses are read from domain objects, with ids as strings.

Every bound and choice here is the constant of the model or service that enforces it
(the service checks again, for the pages); the schema only makes it visible at the edge
and in the OpenAPI document.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Literal, Self

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError

from webapp.core.ids import ID_PATTERN
from webapp.core.money import MAX_AMOUNT, MIN_AMOUNT, SUPPORTED_CURRENCIES
from webapp.models.account import DEFAULT_CURRENCY
from webapp.models.event import TYPE_LENGTH as EVENT_TYPE_LENGTH
from webapp.models.order import MAX_ITEMS_PER_ORDER, MAX_QUANTITY, ORDER_STATUSES
from webapp.models.security import (
    CODE_LENGTH,
    TOKEN_DEFAULT_DAYS,
    TOKEN_MAX_DAYS,
    TOKEN_MIN_DAYS,
    TOKEN_NAME_LENGTH,
    TOKEN_SCOPES,
)
from webapp.models.user import ROLE_USER, ROLES
from webapp.services import audit, catalog, users
from webapp.services.accounts import MAX_ACCOUNT_NAME_LENGTH
from webapp.services.ledger import MAX_MEMO_LENGTH

# --- Field types ------------------------------------------------------------------------------


def _id_to_str(value: object) -> str:
    return str(value)


WHOLE_NUMBER_DIGITS = 19  # an int64 has at most 19 digits


def _whole_number(value: object) -> object:
    # JSON Schema's integer, which the document promises: 2.0 is the integer 2; 1.5 and
    # 1.0000000000000001 are not (the JSON provider reads them as exact Decimals, never
    # rounded), nor is a bool or a string. Past 19 digits it cannot be an amount, and is
    # left a Decimal (refused) rather than turned into an int of any size.
    if (
        isinstance(value, Decimal)
        and value.is_finite()
        and value.adjusted() < WHOLE_NUMBER_DIGITS
        and value == value.to_integral_value()
    ):
        return int(value)
    return value


def _strip(value: object) -> object:
    # The services count a name's length without its surrounding whitespace; so do we
    # (the constraints, listed before this validator in `Annotated`, check what it returns).
    return value.strip() if isinstance(value, str) else value


PublicId = Annotated[str, BeforeValidator(_id_to_str)]
IdText = Annotated[str, Field(pattern=f"^{ID_PATTERN}$")]

# A Literal over a tuple is a Literal over its members: the choices stay the owner's.
Role = Literal[ROLES]  # type: ignore[valid-type]
OrderStatus = Literal[ORDER_STATUSES]  # type: ignore[valid-type]
Currency = Literal[SUPPORTED_CURRENCIES]  # type: ignore[valid-type]

# The bounds come first in `Annotated`, so that they check what _whole_number returns.
Amount = Annotated[int, Field(ge=MIN_AMOUNT, le=MAX_AMOUNT), BeforeValidator(_whole_number)]
Stock = Annotated[int, Field(ge=0, le=catalog.MAX_STOCK), BeforeValidator(_whole_number)]
Quantity = Annotated[int, Field(ge=1, le=MAX_QUANTITY), BeforeValidator(_whole_number)]
Memo = Annotated[str, Field(max_length=MAX_MEMO_LENGTH), BeforeValidator(_strip)]

# A name is counted stripped: the document asks for a character that is not whitespace (and,
# as everywhere, no NUL), so that "\v\v" is not a valid name there and refused here.
NOT_BLANK = {"pattern": r"^[^\u0000]*[^\s\u0000][^\u0000]*$"}

UserName = Annotated[
    str,
    Field(min_length=1, max_length=users.MAX_NAME_LENGTH, json_schema_extra=NOT_BLANK),
    BeforeValidator(_strip),
]
NewPassword = Annotated[
    str, Field(min_length=users.MIN_PASSWORD_LENGTH, max_length=users.MAX_PASSWORD_LENGTH)
]
AccountName = Annotated[
    str,
    Field(min_length=1, max_length=MAX_ACCOUNT_NAME_LENGTH, json_schema_extra=NOT_BLANK),
    BeforeValidator(_strip),
]
Sku = Annotated[str, Field(pattern=f"^{catalog.SKU_PATTERN.pattern}$")]
ProductName = Annotated[
    str,
    Field(min_length=1, max_length=catalog.MAX_NAME_LENGTH, json_schema_extra=NOT_BLANK),
    BeforeValidator(_strip),
]
Description = Annotated[str, Field(max_length=catalog.MAX_DESCRIPTION_LENGTH)]

OneTimeCode = Annotated[str, Field(min_length=1, max_length=CODE_LENGTH)]
LinkTokenText = Annotated[str, Field(min_length=1, max_length=128)]
TokenName = Annotated[
    str,
    Field(min_length=1, max_length=TOKEN_NAME_LENGTH, json_schema_extra=NOT_BLANK),
    BeforeValidator(_strip),
]
TokenScope = Literal[TOKEN_SCOPES]  # type: ignore[valid-type]
TokenDays = Annotated[
    int, Field(ge=TOKEN_MIN_DAYS, le=TOKEN_MAX_DAYS), BeforeValidator(_whole_number)
]


def example(body: dict[str, Any], **schema: Any) -> ConfigDict:
    """A request model's example body, shown in the OpenAPI document (and valid for it),
    and any JSON Schema keywords for rules across fields that the types cannot state."""
    return ConfigDict(json_schema_extra={"examples": [body], **schema})


def never_null(schema: dict[str, Any]) -> dict[str, Any]:
    """A field's JSON Schema as what may be sent: without its null variant (pydantic writes
    `X | None` as anyOf X, null), and without a default of null."""
    variants = [v for v in schema.pop("anyOf", ()) if v != {"type": "null"}]
    if len(variants) == 1:
        schema.update(variants[0])
    elif variants:
        schema["anyOf"] = variants
    if schema.get("default", ...) is None:
        schema.pop("default")
    return schema


# --- Bases ------------------------------------------------------------------------------------


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

    nothing_sent: ClassVar[str] = "send at least one field to change"

    @field_validator("*", mode="before")
    @classmethod
    def _refuse_null(cls, value: object) -> object:
        # Runs only for fields present in the body: a default is never validated.
        if value is None:
            raise PydanticCustomError(
                "null_refused", "may not be null; leave the field out to keep its value"
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


# --- Pagination ---------------------------------------------------------------------------


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


# --- Auth ---------------------------------------------------------------------------------


# An email as the document describes it (the service checks it, and says why it refuses).
EmailAddress = Annotated[str, Field(json_schema_extra={"format": "email"})]


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


# --- Users --------------------------------------------------------------------------------


class UserPublic(PublicSchema):
    id: PublicId
    email: str
    name: str
    roles: list[str]
    is_active: bool
    email_verified: bool
    mfa_enabled: bool
    created_at: datetime
    updated_at: datetime


class UserSelfUpdate(UpdateSchema):
    """Either `{name}` or `{currentPassword, newPassword}` (or both)."""

    model_config = example(
        {"name": "Ada Lovelace"},
        dependentRequired={
            "currentPassword": ["newPassword"],
            "newPassword": ["currentPassword"],
        },
    )
    nothing_sent: ClassVar[str] = "send name, or currentPassword and newPassword"

    name: UserName | None = None
    current_password: str | None = None
    new_password: NewPassword | None = None

    @model_validator(mode="after")
    def _password_pair(self) -> UserSelfUpdate:
        sent = self.model_fields_set
        if ("current_password" in sent) != ("new_password" in sent):
            missing = "newPassword" if "new_password" not in sent else "currentPassword"
            raise PydanticCustomError(
                "password_pair",
                "{missing} is required to change the password",
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
    q: str | None = Field(None, max_length=254)
    role: Role | None = None
    include: Literal["orders"] | None = None


# --- Account security -----------------------------------------------------------------------


class PasswordResetRequest(RequestSchema):
    model_config = example({"email": "ada@example.com"})

    email: EmailAddress = Field(max_length=254)


class PasswordResetConfirm(RequestSchema):
    model_config = example({"token": "Zk3…", "newPassword": "a new long passphrase"})

    token: LinkTokenText
    new_password: NewPassword


class EmailVerification(RequestSchema):
    model_config = example({"token": "Zk3…"})

    token: LinkTokenText


class MailQueuedPublic(PublicSchema):
    """The answer of a 202 that queues a mail (for a reset: if the address is a member's)."""

    message: str


class TotpEnrollmentPublic(PublicSchema):
    secret: str
    otpauth_uri: str


class TotpConfirm(RequestSchema):
    model_config = example({"code": "123456"})

    code: OneTimeCode


class RecoveryCodesPublic(PublicSchema):
    recovery_codes: list[str]


class TotpDisable(RequestSchema):
    model_config = example({"password": "correct horse battery", "code": "123456"})

    password: str
    code: OneTimeCode


class AccessTokenCreate(RequestSchema):
    model_config = example({"name": "nightly export", "scopes": ["read"], "expiresInDays": 30})

    name: TokenName
    scopes: list[TokenScope] = Field(min_length=1, max_length=len(TOKEN_SCOPES))
    expires_in_days: TokenDays = TOKEN_DEFAULT_DAYS


class AccessTokenPublic(PublicSchema):
    id: PublicId
    name: str
    scopes: list[str]
    created_at: datetime
    expires_at: datetime
    last_used_at: datetime | None


class AccessTokenCreated(AccessTokenPublic):
    """Only in the answer to its creation: the token itself, never shown again."""

    token: str


# --- Accounts and money ---------------------------------------------------------------------


class AccountCreate(RequestSchema):
    model_config = example({"name": "Savings", "currency": "EUR"})

    name: AccountName
    currency: Currency = DEFAULT_CURRENCY


class AccountPublic(PublicSchema):
    id: PublicId
    user_id: PublicId
    name: str
    currency: str
    balance: int
    created_at: datetime
    updated_at: datetime


class AccountListQuery(CursorQuery):
    user_id: IdText | None = None


class DepositCreate(RequestSchema):
    model_config = example({"amount": 5000, "memo": "Welcome credit"})

    amount: Amount
    memo: Memo | None = None


class TransferCreate(RequestSchema):
    model_config = example(
        {"fromAccountId": "1", "toAccountId": "2", "amount": 1250, "memo": "Lunch"}
    )

    from_account_id: str
    to_account_id: str
    amount: Amount
    memo: Memo | None = None


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
    model_config = example(
        {
            "sku": "MUG-01",
            "name": "Mug",
            "description": "Stoneware, 350 ml.",
            "price": 1250,
            "stock": 40,
        }
    )

    sku: Sku
    name: ProductName
    description: Description = ""
    price: Amount
    currency: Currency = DEFAULT_CURRENCY
    stock: Stock = 0


class ProductUpdate(UpdateSchema):
    model_config = example({"price": 1100, "stock": 35})

    sku: Sku | None = None
    name: ProductName | None = None
    description: Description | None = None
    price: Amount | None = None
    stock: Stock | None = None
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


class ProductQuery(QuerySchema):
    include_archived: bool = False


class ProductListQuery(CursorQuery, ProductQuery):
    pass


class OrderLineCreate(RequestSchema):
    product_id: str
    quantity: Quantity


class OrderCreate(RequestSchema):
    model_config = example({"accountId": "1", "items": [{"productId": "1", "quantity": 2}]})

    account_id: str
    items: Annotated[list[OrderLineCreate], Field(min_length=1, max_length=MAX_ITEMS_PER_ORDER)]


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
    user_id: IdText | None = None
    status: OrderStatus | None = None


class UserWithOrders(UserPublic):
    orders: list[OrderPublic]


# --- Admin ---------------------------------------------------------------------------------


class StatsPublic(PublicSchema):
    users: int
    active_users: int
    accounts: int
    money_held: int
    orders: int
    revenue: int
    # The generator would write "transfers24H"; the contract says "transfers24h".
    transfers_24h: int = Field(alias="transfers24h")
    cache_hits: int
    cache_misses: int
    rate_limited: int


class EventPublic(PublicSchema):
    id: PublicId
    type: str
    actor_id: PublicId | None
    subject: str
    data: dict[str, Any]
    request_id: str | None
    created_at: datetime


class EventListQuery(CursorQuery):
    limit: int = Field(20, ge=1, le=audit.MAX_PAGE_SIZE)
    type: str | None = Field(None, min_length=1, max_length=EVENT_TYPE_LENGTH)
    user_id: IdText | None = None
