"""The catalog pages, public: the list of products and a product with its add-to-cart form."""

from __future__ import annotations

from flask import render_template, request

from webapp.models.order import MAX_QUANTITY
from webapp.services.shop.catalog import CatalogService, ProductRecord
from webapp.web.blueprint import bp
from webapp.web.forms import CartLineForm

CATALOG_PAGE_SIZE = 20


@bp.get("/shop")
def shop() -> str:
    cursor = request.args.get("cursor") or None
    page = CatalogService().list_active(limit=CATALOG_PAGE_SIZE, cursor=cursor)
    return render_template("shop/index.html", page=page, paged=bool(cursor))


def render_product(product: ProductRecord, form: CartLineForm | None = None) -> str:
    form = form or CartLineForm(product_id=str(product.id))
    # No more than an order may hold, nor than the shelf holds.
    most = min(product.stock, MAX_QUANTITY)
    return render_template("shop/product.html", product=product, form=form, max_quantity=most)


@bp.get("/shop/<id:product_id>")
def product(product_id: int) -> str:
    return render_product(CatalogService().get(product_id))
