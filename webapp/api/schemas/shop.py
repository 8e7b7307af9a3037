"""The shop: products and orders."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field

from webapp.api.schemas.bases import (
    CursorQuery,
    PublicSchema,
    QuerySchema,
    RequestSchema,
    UpdateSchema,
)
from webapp.api.schemas.fields import (
    Amount,
    Currency,
    Description,
    IdText,
    OrderStatus,
    ProductName,
    PublicId,
    Quantity,
    Sku,
    Stock,
    example,
)
from webapp.models.account import DEFAULT_CURRENCY
from webapp.models.order import MAX_ITEMS_PER_ORDER


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
