"""The request schemas as the contract states them: camelCase wire names (generated, and
pinned here so a rename shows), strict JSON types, unknown and snake_case names refused,
and PATCH fields documented as never null."""

from __future__ import annotations

from decimal import Decimal

import pydantic
import pytest
from pydantic.alias_generators import to_snake

from webapp.api.operations import field_errors
from webapp.api.schemas.auth import LoginRequest, RefreshRequest, UserCreate
from webapp.api.schemas.bases import CursorQuery
from webapp.api.schemas.shop import (
    OrderCreate,
    OrderLineCreate,
    OrderListQuery,
    ProductCreate,
    ProductListQuery,
    ProductUpdate,
)
from webapp.api.schemas.users import UserAdminUpdate, UserListQuery, UserSelfUpdate
from webapp.api.schemas.wallet import AccountCreate, AccountListQuery, DepositCreate, TransferCreate
from webapp.core.money import MAX_AMOUNT, SUPPORTED_CURRENCIES
from webapp.models.order import MAX_ITEMS_PER_ORDER, MAX_QUANTITY, ORDER_STATUSES
from webapp.models.user import ROLES
from webapp.services.shop.catalog import MAX_NAME_LENGTH, MAX_PAGE_SIZE, MAX_STOCK

WIRE_NAMES = {
    UserCreate: {"email", "password", "name"},
    LoginRequest: {"email", "password", "otp"},
    RefreshRequest: {"refreshToken"},
    UserSelfUpdate: {"name", "notifyMoneyReceived", "currentPassword", "newPassword"},
    UserAdminUpdate: {"roles", "isActive", "name"},
    AccountCreate: {"name", "currency"},
    DepositCreate: {"amount", "memo"},
    TransferCreate: {"fromAccountId", "toAccountId", "amount", "memo"},
    ProductCreate: {"sku", "name", "description", "price", "currency", "stock"},
    ProductUpdate: {"sku", "name", "description", "price", "stock", "isActive"},
    OrderCreate: {"accountId", "items"},
    OrderLineCreate: {"productId", "quantity"},
    UserListQuery: {"limit", "cursor", "q", "role", "include"},
    AccountListQuery: {"limit", "cursor", "userId"},
    ProductListQuery: {"limit", "cursor", "includeArchived"},
    OrderListQuery: {"limit", "cursor", "userId", "status"},
}
UPDATES = [ProductUpdate, UserSelfUpdate, UserAdminUpdate]


def errors(model: type[pydantic.BaseModel], body: dict[str, object]) -> dict[str, str]:
    with pytest.raises(pydantic.ValidationError) as caught:
        model.model_validate(body)
    return field_errors(caught.value)


@pytest.mark.parametrize("model", list(WIRE_NAMES), ids=lambda m: m.__name__)
def test_wire_names_are_camel_case_and_unchanged(model):
    assert set(model.model_json_schema(by_alias=True)["properties"]) == WIRE_NAMES[model]


@pytest.mark.parametrize("value", ["100", 1.5, True, None])
@pytest.mark.parametrize(
    ("model", "body", "field"),
    [
        (DepositCreate, {}, "amount"),
        (TransferCreate, {"fromAccountId": "1", "toAccountId": "2"}, "amount"),
        (ProductCreate, {"sku": "S", "name": "N"}, "price"),
        (ProductCreate, {"sku": "S", "name": "N", "price": 1}, "stock"),
        (ProductUpdate, {}, "price"),
        (ProductUpdate, {}, "stock"),
        (OrderLineCreate, {"productId": "1"}, "quantity"),
    ],
    ids=lambda v: v.__name__ if isinstance(v, type) else None,
)
def test_an_integer_field_takes_a_json_integer_only(model, body, field, value):
    assert field in errors(model, {**body, field: value})


@pytest.mark.parametrize(
    ("model", "body", "field"),
    [
        (DepositCreate, {}, "amount"),
        (ProductCreate, {"sku": "S", "name": "N", "price": 1}, "stock"),
        (ProductUpdate, {}, "price"),
        (OrderLineCreate, {"productId": "1"}, "quantity"),
    ],
    ids=lambda v: v.__name__ if isinstance(v, type) else None,
)
def test_a_whole_number_written_with_a_point_is_that_integer(model, body, field):
    # JSON Schema's integer, as the document says: 2.0 is 2 (and 1.5 is refused above).
    # The app reads `2.0` in a body as Decimal("2.0") (webapp.edge.json_provider).
    parsed = model.model_validate({**body, field: Decimal("2.0")})
    assert getattr(parsed, to_snake(field)) == 2
    assert type(getattr(parsed, to_snake(field))) is int


@pytest.mark.parametrize(
    "value", [Decimal("1.0000000000000001"), Decimal("1.5"), Decimal("1e30"), Decimal("NaN")]
)
@pytest.mark.parametrize(
    ("model", "body", "field"),
    [
        (DepositCreate, {}, "amount"),
        (ProductCreate, {"sku": "S", "name": "N", "price": 1}, "stock"),
        (OrderLineCreate, {"productId": "1"}, "quantity"),
    ],
    ids=lambda v: v.__name__ if isinstance(v, type) else None,
)
def test_a_number_with_a_fraction_is_never_rounded_into_an_integer(model, body, field, value):
    assert field in errors(model, {**body, field: value})


@pytest.mark.parametrize("model", UPDATES, ids=lambda m: m.__name__)
def test_a_patch_that_sends_nothing_is_refused_and_documented_so(model):
    assert errors(model, {}) == {"body": errors(model, {})["body"]}
    assert model.model_json_schema()["minProperties"] == 1


def test_an_empty_cursor_is_the_first_page():
    assert CursorQuery.model_validate({"cursor": ""}).cursor is None


@pytest.mark.parametrize(
    ("model", "body", "field"),
    [
        (ProductUpdate, {"is_active": False}, "is_active"),
        (TransferCreate, {"from_account_id": "1"}, "from_account_id"),
        (UserSelfUpdate, {"name": "N", "email": "x@example.com"}, "email"),
        (UserCreate, {"roles": ["admin"]}, "roles"),
    ],
)
def test_unknown_and_snake_case_names_are_refused(model, body, field):
    assert field in errors(model, body)


@pytest.mark.parametrize("model", UPDATES, ids=lambda m: m.__name__)
def test_patch_fields_are_documented_as_never_null(model):
    for name, prop in model.model_json_schema(by_alias=True)["properties"].items():
        assert "null" not in str(prop), name
        assert "default" not in prop, name


def test_bounds_and_choices_are_the_owners_constants():
    product = ProductCreate.model_json_schema()["properties"]
    assert (product["price"]["maximum"], product["stock"]["maximum"]) == (MAX_AMOUNT, MAX_STOCK)
    assert product["name"]["maxLength"] == MAX_NAME_LENGTH
    assert tuple(product["currency"]["enum"]) == SUPPORTED_CURRENCIES
    order = OrderCreate.model_json_schema()
    assert order["properties"]["items"]["maxItems"] == MAX_ITEMS_PER_ORDER
    assert order["$defs"]["OrderLineCreate"]["properties"]["quantity"]["maximum"] == MAX_QUANTITY
    orders = OrderListQuery.model_json_schema()["properties"]
    assert tuple(orders["status"]["anyOf"][0]["enum"]) == ORDER_STATUSES
    assert orders["limit"]["maximum"] == MAX_PAGE_SIZE
    role = UserListQuery.model_json_schema()["properties"]["role"]
    assert tuple(role["anyOf"][0]["enum"]) == ROLES
