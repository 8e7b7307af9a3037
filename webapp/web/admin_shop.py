"""Admin pages for the shop: the catalog (create, edit, archive) and every order."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from webapp.core.errors import Conflict, ValidationError
from webapp.core.money import format_minor_units
from webapp.models.user import ROLE_ADMIN
from webapp.services.shop.catalog import CatalogService, ProductRecord
from webapp.services.shop.orders import OrderService
from webapp.web.blueprint import bp
from webapp.web.confirmation import Confirmation, render_confirmation
from webapp.web.forms import (
    ActionForm,
    OrderFilterForm,
    ProductCreateForm,
    ProductEditForm,
    show_error,
)
from webapp.web.session_auth import role_required

PRODUCTS_PAGE_SIZE = 50
ORDERS_PAGE_SIZE = 20


def render_products(form: ProductCreateForm | None = None) -> str:
    cursor = request.args.get("cursor") or None
    page = CatalogService().list_all(limit=PRODUCTS_PAGE_SIZE, cursor=cursor)
    return render_template(
        "admin/products.html",
        page=page,
        paged=bool(cursor),
        form=form or ProductCreateForm(formdata=None),
    )


@bp.get("/admin/products")
@role_required(ROLE_ADMIN)
def admin_products() -> str:
    return render_products()


@bp.post("/admin/products")
@role_required(ROLE_ADMIN)
def admin_create_product() -> str | Response:
    form = ProductCreateForm()
    if form.validate_on_submit():
        price = form.price.minor_units(form.currency.data)
        if price is not None:
            try:
                product = CatalogService().create(
                    current_user.principal,
                    sku=form.sku.data,
                    name=form.name.data,
                    description=form.description.data or "",
                    price=price,
                    currency=form.currency.data,
                    stock=form.stock.data,
                )
            except (ValidationError, Conflict) as error:
                show_error(form, error)
            else:
                flash(f"Product {product.sku} is created.", "success")
                return redirect(url_for("web.admin_products"))
    return render_products(form)


def edit_form_of(product: ProductRecord) -> ProductEditForm:
    return ProductEditForm(
        formdata=None,
        sku=product.sku,
        name=product.name,
        description=product.description,
        price=format_minor_units(product.price, product.currency),
        stock=product.stock,
        is_active=product.is_active,
    )


@bp.route("/admin/products/<id:product_id>", methods=["GET", "POST"])
@role_required(ROLE_ADMIN)
def admin_edit_product(product_id: int) -> str | Response:
    product = CatalogService().get(product_id, include_archived=True)
    form = ProductEditForm() if request.method == "POST" else edit_form_of(product)
    if form.validate_on_submit():
        price = form.price.minor_units(product.currency)
        if price is not None:
            try:
                updated = CatalogService().update(
                    current_user.principal,
                    product.id,
                    sku=form.sku.data,
                    name=form.name.data,
                    description=form.description.data or "",
                    price=price,
                    stock=form.stock.data,
                    is_active=form.is_active.data,
                )
            except (ValidationError, Conflict) as error:
                show_error(form, error)
            else:
                flash(f"Product {updated.sku} is saved.", "success")
                return redirect(url_for("web.admin_edit_product", product_id=product.id))
    return render_template("admin/product.html", product=product, form=form)


@bp.get("/admin/products/<id:product_id>/archive/confirm")
@role_required(ROLE_ADMIN)
def admin_archive_product_confirm(product_id: int) -> str:
    product = CatalogService().get(product_id, include_archived=True)
    return render_confirmation(
        Confirmation(
            question=f"Archive {product.name}?",
            facts=[
                ("Product", product.name),
                ("SKU", product.sku),
                ("In stock", str(product.stock)),
            ],
            consequence=f"{product.name} leaves the shop and can no longer be ordered;"
            " past orders keep it.",
            act=f"Archive {product.name}",
            keep="Keep selling it",
            back=url_for("web.admin_products"),
        )
    )


@bp.post("/admin/products/<id:product_id>/archive")
@role_required(ROLE_ADMIN)
def admin_archive_product(product_id: int) -> Response:
    if ActionForm().validate_on_submit():
        CatalogService().archive(current_user.principal, product_id)
        flash("The product is archived: it is no longer sold.", "success")
    return redirect(url_for("web.admin_products"))


@bp.get("/admin/orders")
@role_required(ROLE_ADMIN)
def admin_orders() -> str:
    form = OrderFilterForm(formdata=request.args)
    listing = None
    if form.validate():
        try:
            listing = OrderService().listing_for_admin(
                current_user.principal,
                limit=ORDERS_PAGE_SIZE,
                cursor=request.args.get("cursor") or None,
                status=form.status.data or None,
            )
        except ValidationError as error:
            show_error(form, error)
    return render_template(
        "admin/orders.html",
        page=listing.page if listing else None,
        buyers=listing.buyers if listing else {},
        form=form,
        paged=bool(request.args.get("cursor")),
    )
