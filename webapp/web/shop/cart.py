"""The cart pages: the cart with its checkout form, and adding, changing and removing lines.

A logged-in member's cart is stored (the same after logging in again); a visitor's is kept
in the session and merged into the member's at login (`web/session_cart.py`). Checking out
needs a login. The rules of a cart are `CartService`'s; these pages only show its answers.
"""

from __future__ import annotations

import re
import uuid

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from webapp.core.errors import NotFound
from webapp.core.ids import ID_PATTERN
from webapp.models import Account
from webapp.models.order import MAX_QUANTITY
from webapp.services.shop.cart import CartService
from webapp.services.shop.catalog import CatalogService
from webapp.services.shop.orders import CartCheck
from webapp.web.blueprint import bp
from webapp.web.forms import ActionForm, CartLineForm, CartRemoveForm, CheckoutForm
from webapp.web.session_cart import cart_owner, cart_quantity, cart_snapshot, held_cart, keep
from webapp.web.shop.catalog import render_product
from webapp.web.wallet import account_choices, own_accounts

bp.add_app_template_global(cart_quantity, "cart_quantity")


def product_page_of_form() -> str:
    product_id = request.form.get("product_id", "")
    if re.fullmatch(ID_PATTERN, product_id):
        return url_for("web.product", product_id=int(product_id))
    return url_for("web.shop")


def cart_page() -> str:
    return url_for("web.cart")


def checkout_form(accounts: list[Account], check: CartCheck) -> CheckoutForm:
    """A fresh checkout form, paying by default from the first account in the cart's currency."""
    form = CheckoutForm(formdata=None)
    form.account.choices = account_choices(accounts)
    currencies = set(check.totals)
    matching = [a.id for a in accounts if a.currency in currencies] or [a.id for a in accounts]
    form.account.data = matching[0] if matching else None
    return form


def render_cart(
    form: CheckoutForm | None = None, line_errors: dict[int, list[str]] | None = None
) -> str:
    """The cart page: each line with what the order service would say of it now, or, for the
    lines in `line_errors`, what a refused action said of them. A visitor gets no checkout
    form, a link to log in instead."""
    view = CartService().view(cart_owner(), held_cart())
    if current_user.is_authenticated:
        form = form or checkout_form(own_accounts(), view.check)
        # Every rendering gets a new one-time key and the cart as it is shown now; a refused
        # checkout keeps the account the member chose.
        form.key.data = uuid.uuid4().hex
        form.cart.data = cart_snapshot(view.cart)
    problems = {
        line.product_id: [line.problem] if line.problem else [] for line in view.check.lines
    }
    problems.update(line_errors or {})
    return render_template(
        "shop/cart.html",
        check=view.check,
        problems=problems,
        form=form,
        action=ActionForm(),
        max_quantity=MAX_QUANTITY,
    )


@bp.get("/cart")
def cart() -> str:
    return render_cart()


@bp.post("/cart/add")
def add_to_cart() -> str | Response:
    form = CartLineForm()
    form.validate_on_submit()
    if form.product_id.errors:
        raise NotFound("No such product.")
    product = CatalogService().get(int(form.product_id.data))
    if not form.quantity.errors:
        change = CartService().add(cart_owner(), held_cart(), product.id, form.quantity.data)
        if change.problem is None:
            keep(change)
            flash(f"Added {form.quantity.data} of {product.name} to your cart.", "success")
            return redirect(url_for("web.cart"))
        form.quantity.errors = [*form.quantity.errors, change.problem]
    return render_product(product, form)


def not_in_cart() -> Response:
    flash("That product is not in your cart.", "error")
    return redirect(url_for("web.cart"))


@bp.post("/cart/update")
def update_cart() -> str | Response:
    form = CartLineForm()
    form.validate_on_submit()
    service, owner, held = CartService(), cart_owner(), held_cart()
    product_id = None if form.product_id.errors else int(form.product_id.data)
    if product_id is None or not service.holds(owner, held, product_id):
        return not_in_cart()
    problems = list(form.quantity.errors)
    if not problems:
        change = service.set_quantity(owner, held, product_id, form.quantity.data)
        if change is None:
            return not_in_cart()
        if change.problem is None:
            keep(change)
            flash("Your cart is updated.", "success")
            return redirect(url_for("web.cart"))
        problems = [change.problem]
    return render_cart(line_errors={product_id: problems})


@bp.post("/cart/remove")
def remove_from_cart() -> Response:
    form = CartRemoveForm()
    if form.validate_on_submit():
        change = CartService().remove(cart_owner(), held_cart(), int(form.product_id.data))
        if change is not None:
            keep(change)
            flash("The product is out of your cart.", "success")
    return redirect(url_for("web.cart"))
