"""/api/v1/products and /api/v1/orders: the catalog, and buying from it."""

from __future__ import annotations

from webapp.api.auth_guard import current_principal, principal
from webapp.api.blueprint import bp
from webapp.api.operations import Link, operation
from webapp.api.schemas.shop import (
    OrderCreate,
    OrderListQuery,
    OrderPublic,
    ProductCreate,
    ProductListQuery,
    ProductPublic,
    ProductQuery,
    ProductUpdate,
)
from webapp.core.ids import id_from_wire
from webapp.models import Order
from webapp.models.user import ROLE_ADMIN
from webapp.repositories.keyset import Page
from webapp.services.shop.catalog import CatalogService, ProductRecord
from webapp.services.shop.orders import LineRequest, OrderService

THE_PRODUCT = {"productId": "$response.body#/data/id"}
THE_ORDER = {"orderId": "$response.body#/data/id"}


def caller_is_admin() -> bool:
    caller = current_principal()
    return caller is not None and caller.is_admin


@bp.get("/products")
@operation("shop", auth=False, query=ProductListQuery, response=ProductPublic, paginated=True)
def list_products(query: ProductListQuery) -> Page[ProductRecord]:
    """The catalog: active products (an admin sees archived ones with includeArchived)."""
    catalog = CatalogService()
    if query.include_archived and caller_is_admin():
        return catalog.list_all(limit=query.limit, cursor=query.cursor)
    return catalog.list_active(limit=query.limit, cursor=query.cursor)


@bp.get("/products/<id:product_id>")
@operation("shop", auth=False, query=ProductQuery, response=ProductPublic)
def get_product(product_id: int, query: ProductQuery) -> ProductRecord:
    """One active product (an admin sees an archived one with includeArchived)."""
    archived = query.include_archived and caller_is_admin()
    return CatalogService().get(product_id, include_archived=archived)


@bp.post("/products")
@operation(
    "shop",
    status=201,
    roles=(ROLE_ADMIN,),
    body=ProductCreate,
    response=ProductPublic,
    refusals=(409,),
    links={"GetProduct": Link("get_product", THE_PRODUCT)},
)
def create_product(body: ProductCreate) -> ProductRecord:
    """Add a product to the catalog (409 when the SKU is taken)."""
    return CatalogService().create(principal(), **body.model_dump())


@bp.patch("/products/<id:product_id>")
@operation("shop", roles=(ROLE_ADMIN,), body=ProductUpdate, response=ProductPublic, refusals=(409,))
def update_product(product_id: int, body: ProductUpdate) -> ProductRecord:
    """Change a product: only the fields sent; the cache forgets it before the answer."""
    return CatalogService().update(principal(), product_id, **body.changes())


@bp.delete("/products/<id:product_id>")
@operation("shop", roles=(ROLE_ADMIN,))
def archive_product(product_id: int) -> None:
    """Archive a product: it leaves the catalog, and stays on the orders that have it."""
    CatalogService().archive(principal(), product_id)


@bp.post("/orders")
@operation(
    "orders",
    status=201,
    body=OrderCreate,
    response=OrderPublic,
    idempotent=True,
    refusals=(404, 422),
    links={
        "GetOrder": Link("get_order", THE_ORDER),
        "CancelOrder": Link("cancel_order", THE_ORDER),
    },
)
def place_order(body: OrderCreate) -> Order:
    """Buy: debit the account, take the stock and write the ledger, in one transaction."""
    lines = [
        LineRequest(id_from_wire(line.product_id, f"items.{n}.product_id"), line.quantity)
        for n, line in enumerate(body.items)
    ]
    account_id = id_from_wire(body.account_id, "account_id")
    return OrderService().place(principal(), account_id=account_id, lines=lines)


@bp.get("/orders")
@operation("orders", query=OrderListQuery, response=OrderPublic, paginated=True)
def list_orders(query: OrderListQuery) -> Page[Order]:
    """The caller's orders, newest first (an admin sees everyone's, or one user's)."""
    return OrderService().list_for(
        principal(),
        limit=query.limit,
        cursor=query.cursor,
        user_id=int(query.user_id) if query.user_id else None,
        status=query.status,
    )


@bp.get("/orders/<id:order_id>")
@operation("orders", response=OrderPublic)
def get_order(order_id: int) -> Order:
    """One order with its items (its owner's, or any for an admin)."""
    return OrderService().get(principal(), order_id)


@bp.post("/orders/<id:order_id>/cancel")
@operation("orders", response=OrderPublic, refusals=(409,))
def cancel_order(order_id: int) -> Order:
    """Cancel a paid order: refund and stock back in one transaction (409 if not paid)."""
    return OrderService().cancel(principal(), order_id)
