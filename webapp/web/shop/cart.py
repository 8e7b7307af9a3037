"""The cart pages: the session cart with its checkout form, and adding, changing and removing
lines. Every cart page and button needs a logged-in member (the cart belongs to one login).

Whether a line may be ordered is the order service's to say (`OrderService.check_cart`, by
the rules `place` enforces); these pages only word its answer for a quantity field.
"""

from __future__ import annotations

import re
import uuid

from flask import flash, redirect, render_template, request, url_for
from flask_login import login_required
from werkzeug.wrappers import Response

from webapp.core.errors import NotFound, OutOfStock
from webapp.core.ids import ID_PATTERN
from webapp.models import Account
from webapp.models.order import MAX_QUANTITY
from webapp.services.shop.catalog import CatalogService
from webapp.services.shop.orders import CartCheck, OrderService
from webapp.web.blueprint import bp
from webapp.web.forms import ActionForm, CartLineForm, CartRemoveForm, CheckoutForm
from webapp.web.session_auth import members_only
from webapp.web.shop.catalog import render_product
from webapp.web.shop.session_cart import cart_contents, cart_snapshot, line_requests, save_cart
from webapp.web.wallet import account_choices, own_accounts


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
    lines in `line_errors`, what a refused action said of them."""
    cart = cart_contents()
    check = OrderService().check_cart(line_requests(cart))
    form = form or checkout_form(own_accounts(), check)
    # Every rendering gets a new one-time key and the cart as it is shown now; a refused
    # checkout keeps the account the member chose.
    form.key.data = uuid.uuid4().hex
    form.cart.data = cart_snapshot(cart)
    problems = {line.product_id: [line.problem] if line.problem else [] for line in check.lines}
    problems.update(line_errors or {})
    return render_template(
        "shop/cart.html",
        check=check,
        problems=problems,
        form=form,
        action=ActionForm(),
        max_quantity=MAX_QUANTITY,
    )


@bp.get("/cart")
@login_required
def cart() -> str:
    return render_cart()


def quantity_refused(check: CartCheck, product_id: int, in_cart: int = 0) -> str | None:
    """The order service's refusal of this product's line, worded for its quantity field;
    `in_cart` is what the cart held of it before (an addition's total is what was checked)."""
    line = check.line(product_id)
    held = f" Your cart holds {in_cart}." if in_cart else ""
    if line.refusal is not None and not line.sold:
        return line.problem
    if isinstance(line.refusal, OutOfStock) and line.product is not None:
        return f"The shop has only {line.product.stock} in stock.{held}"
    if line.refusal is not None:
        return f"{line.problem}{held}"
    if check.refusal is not None:
        return f"This product cannot be added. {check.problem}"
    return None


@bp.post("/cart/add")
@members_only(back=product_page_of_form)
def add_to_cart() -> str | Response:
    form = CartLineForm()
    form.validate_on_submit()
    if form.product_id.errors:
        raise NotFound("No such product.")
    product = CatalogService().get(int(form.product_id.data))
    if not form.quantity.errors:
        cart = cart_contents()
        in_cart = cart.get(product.id, 0)
        wanted = {**cart, product.id: in_cart + form.quantity.data}
        check = OrderService().check_cart(line_requests(wanted))
        problem = quantity_refused(check, product.id, in_cart)
        if problem is None:
            save_cart(wanted)
            flash(f"Added {form.quantity.data} of {product.name} to your cart.", "success")
            return redirect(url_for("web.cart"))
        form.quantity.errors = [*form.quantity.errors, problem]
    return render_product(product, form)


@bp.post("/cart/update")
@members_only(back=cart_page)
def update_cart() -> str | Response:
    form = CartLineForm()
    form.validate_on_submit()
    cart = cart_contents()
    product_id = None if form.product_id.errors else int(form.product_id.data)
    if product_id is None or product_id not in cart:
        flash("That product is not in your cart.", "error")
        return redirect(url_for("web.cart"))
    problems = list(form.quantity.errors)
    wanted = {**cart, product_id: form.quantity.data}
    if not problems:
        problem = quantity_refused(OrderService().check_cart(line_requests(wanted)), product_id)
        problems = [problem] if problem else []
    if problems:
        return render_cart(line_errors={product_id: problems})
    save_cart(wanted)
    flash("Your cart is updated.", "success")
    return redirect(url_for("web.cart"))


@bp.post("/cart/remove")
@members_only(back=cart_page)
def remove_from_cart() -> Response:
    form = CartRemoveForm()
    if form.validate_on_submit():
        cart = cart_contents()
        if cart.pop(int(form.product_id.data), None) is not None:
            save_cart(cart)
            flash("The product is out of your cart.", "success")
    return redirect(url_for("web.cart"))
