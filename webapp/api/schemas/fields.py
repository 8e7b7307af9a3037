"""The field types the schemas share: every bound and choice is the owner's constant."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError

from webapp.core.dates import DATE_PATTERN, parse_date
from webapp.core.ids import ID_PATTERN
from webapp.core.money import MAX_AMOUNT, MIN_AMOUNT, SUPPORTED_CURRENCIES
from webapp.models.ledger import TRANSACTION_TYPES
from webapp.models.order import MAX_QUANTITY, ORDER_STATUSES
from webapp.models.security import (
    CODE_LENGTH,
    TOKEN_MAX_DAYS,
    TOKEN_MIN_DAYS,
    TOKEN_NAME_LENGTH,
    TOKEN_SCOPES,
)
from webapp.models.user import ROLES
from webapp.services.shop import catalog
from webapp.services.users import rules as user_rules
from webapp.services.wallet.accounts import MAX_ACCOUNT_NAME_LENGTH
from webapp.services.wallet.ledger import MAX_MEMO_LENGTH


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


def _date_text(value: object) -> object:
    # A query's date: "2026-12-01" exactly (webapp.core.dates), nothing else guessed.
    if not isinstance(value, str):
        return value
    try:
        return parse_date(value)
    except ValueError as error:
        raise PydanticCustomError("date_text", str(error)) from None


DAY_REGEX = f"^{DATE_PATTERN}$"
DAY_PATTERN = re.compile(DAY_REGEX)


def _day_text(value: object) -> object:
    # A day as the document's `format: date` writes it, and only so: pydantic alone would
    # also take a midnight datetime or a number of seconds.
    if isinstance(value, str) and not DAY_PATTERN.fullmatch(value):
        raise PydanticCustomError("day_format", "Enter a day as YYYY-MM-DD.")
    return value


PublicId = Annotated[str, BeforeValidator(_id_to_str)]
Day = Annotated[date, Field(json_schema_extra={"pattern": DAY_REGEX}), BeforeValidator(_day_text)]
IdText = Annotated[str, Field(pattern=f"^{ID_PATTERN}$")]
# A day, YYYY-MM-DD (UTC where it bounds a range of moments).
DateText = Annotated[
    date, Field(json_schema_extra={"pattern": f"^{DATE_PATTERN}$"}), BeforeValidator(_date_text)
]

# A Literal over a tuple is a Literal over its members: the choices stay the owner's.
Role = Literal[ROLES]  # type: ignore[valid-type]
OrderStatus = Literal[ORDER_STATUSES]  # type: ignore[valid-type]
Currency = Literal[SUPPORTED_CURRENCIES]  # type: ignore[valid-type]
LedgerType = Literal[TRANSACTION_TYPES]  # type: ignore[valid-type]

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
    Field(min_length=1, max_length=user_rules.MAX_NAME_LENGTH, json_schema_extra=NOT_BLANK),
    BeforeValidator(_strip),
]
NewPassword = Annotated[
    str, Field(min_length=user_rules.MIN_PASSWORD_LENGTH, max_length=user_rules.MAX_PASSWORD_LENGTH)
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


# An email as the document describes it (the service checks it, and says why it refuses).
EmailAddress = Annotated[str, Field(json_schema_extra={"format": "email"})]
