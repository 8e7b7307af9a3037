"""/api/v1/products and /api/v1/orders: the catalog, and buying from it."""

from __future__ import annotations

from flask import Response
from spectree import Response as SpecResponse

from webapp.api.auth_guard import current_principal, principal, require_auth
from webapp.api.blueprint import bp
from webapp.api.envelope import api_page, api_success, no_content
from webapp.api.idempotency import idempotent
from webapp.api.schemas import (
    OrderCreate,
    OrderListQuery,
    OrderPublic,
    ProductCreate,
    ProductListQuery,
    ProductPublic,
    ProductUpdate,
)
from webapp.api.validation import spec
from webapp.models.user import ROLE_ADMIN
from webapp.routing import id_from_wire
from webapp.services.catalog import CatalogService
from webapp.services.orders import LineRequest, OrderService


def caller_is_admin() -> bool:
    caller = current_principal()
    return caller is not None and caller.is_admin


@bp.get("/products")
@spec.validate(query=ProductListQuery, resp=SpecResponse(HTTP_200=None), tags=["shop"])
def list_products(query: ProductListQuery) -> Response:
    catalog = CatalogService()
    if query.include_archived and caller_is_admin():
        page = catalog.list_all(limit=query.limit, cursor=query.cursor)
    else:
        page = catalog.list_active(limit=query.limit, cursor=query.cursor)
    return api_page(page, query.limit, [ProductPublic.model_validate(p) for p in page.items])


@bp.get("/products/<id:product_id>")
@spec.validate(resp=SpecResponse(HTTP_200=None), tags=["shop"])
def get_product(product_id: int) -> Response:
    product = CatalogService().get(product_id, include_archived=caller_is_admin())
    return api_success(ProductPublic.model_validate(product))


@bp.post("/products")
@require_auth(ROLE_ADMIN)
@spec.validate(json=ProductCreate, resp=SpecResponse(HTTP_201=None), tags=["shop"])
def create_product(json: ProductCreate) -> Response:
    product = CatalogService().create(principal(), **json.model_dump())
    return api_success(ProductPublic.model_validate(product), 201)


@bp.patch("/products/<id:product_id>")
@require_auth(ROLE_ADMIN)
@spec.validate(json=ProductUpdate, resp=SpecResponse(HTTP_200=None), tags=["shop"])
def update_product(product_id: int, json: ProductUpdate) -> Response:
    product = CatalogService().update(principal(), product_id, **json.changes())
    return api_success(ProductPublic.model_validate(product))


@bp.delete("/products/<id:product_id>")
@require_auth(ROLE_ADMIN)
@spec.validate(resp=SpecResponse(HTTP_204=None), tags=["shop"])
def archive_product(product_id: int) -> Response:
    CatalogService().archive(principal(), product_id)
    return no_content()


@bp.post("/orders")
@require_auth()
@idempotent
@spec.validate(json=OrderCreate, resp=SpecResponse(HTTP_201=None), tags=["orders"])
def place_order(json: OrderCreate) -> Response:
    lines = [
        LineRequest(id_from_wire(line.product_id, f"items.{n}.productId"), line.quantity)
        for n, line in enumerate(json.items)
    ]
    order = OrderService().place(
        principal(), account_id=id_from_wire(json.account_id, "accountId"), lines=lines
    )
    return api_success(OrderPublic.model_validate(order), 201)


@bp.get("/orders")
@require_auth()
@spec.validate(query=OrderListQuery, resp=SpecResponse(HTTP_200=None), tags=["orders"])
def list_orders(query: OrderListQuery) -> Response:
    page = OrderService().list_for(
        principal(),
        limit=query.limit,
        cursor=query.cursor,
        user_id=int(query.user_id) if query.user_id else None,
        status=query.status,
    )
    return api_page(page, query.limit, [OrderPublic.model_validate(o) for o in page.items])


@bp.get("/orders/<id:order_id>")
@require_auth()
@spec.validate(resp=SpecResponse(HTTP_200=None), tags=["orders"])
def get_order(order_id: int) -> Response:
    return api_success(OrderPublic.model_validate(OrderService().get(principal(), order_id)))


@bp.post("/orders/<id:order_id>/cancel")
@require_auth()
@spec.validate(resp=SpecResponse(HTTP_200=None), tags=["orders"])
def cancel_order(order_id: int) -> Response:
    return api_success(OrderPublic.model_validate(OrderService().cancel(principal(), order_id)))
