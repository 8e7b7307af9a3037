"""The shop pages: the catalog, a product, the session cart and checkout, and orders.

The cart lives in the signed session cookie (`session["cart"]`: product id → quantity)
and belongs to one login: logging in or out starts with an empty cart, so every cart
page and button needs a logged-in member. The catalog and product pages are public.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from webapp.errors import (
    AppError,
    Conflict,
    CurrencyMismatch,
    IdempotencyKeyReused,
    InsufficientFunds,
    NotFound,
    OutOfStock,
    ValidationError,
)
from webapp.extensions import login_manager
from webapp.models import Account, Order
from webapp.models.order import MAX_ITEMS_PER_ORDER, MAX_QUANTITY
from webapp.services.catalog import CatalogService, ProductRecord
from webapp.services.idempotency import IdempotencyService
from webapp.services.orders import LineRequest, OrderService
from webapp.web import bp
from webapp.web.cart import (
    CartLine,
    cart_contents,
    cart_lines,
    cart_snapshot,
    parse_snapshot,
    save_cart,
    totals_of,
)
from webapp.web.forms import (
    EMPTY_CART,
    PRODUCT_ID,
    ActionForm,
    CartLineForm,
    CartRemoveForm,
    CheckoutForm,
    show_error,
)
from webapp.web.wallet import account_choices, money, own_accounts

P = ParamSpec("P")
R = TypeVar("R")

CATALOG_PAGE_SIZE = 20
ORDERS_PAGE_SIZE = 20
IN_FLIGHT = "This order is still being placed. Look at your orders before you try again."
LINE_DETAIL = re.compile(r"items\.(\d+)\.\w+")
CART_CHANGED = "Your cart changed since this page was shown. Check it and place the order again."


def members_only(back: Callable[..., str]) -> Callable[[Callable[P, R]], Callable[P, R | Response]]:
    """login_required for a form's POST: an anonymous visitor logs in and comes back to the
    page the form is on (`back`), not to the POST-only address (a 405 after login)."""

    def decorate(view: Callable[P, R]) -> Callable[P, R | Response]:
        @wraps(view)
        def guarded(*args: P.args, **kwargs: P.kwargs) -> R | Response:
            if not current_user.is_authenticated:
                flash(login_manager.login_message, login_manager.login_message_category)
                return redirect(url_for("web.login", next=back(**kwargs)))
            return view(*args, **kwargs)

        return guarded

    return decorate


def product_page_of_form() -> str:
    product_id = request.form.get("product_id", "")
    if re.fullmatch(PRODUCT_ID, product_id):
        return url_for("web.product", product_id=int(product_id))
    return url_for("web.shop")


def cart_page() -> str:
    return url_for("web.cart")


def order_page(order_id: int) -> str:
    return url_for("web.order", order_id=order_id)


# --- the catalog --------------------------------------------------------------------------


@bp.get("/shop")
def shop() -> str:
    cursor = request.args.get("cursor") or None
    page = CatalogService().list_active(limit=CATALOG_PAGE_SIZE, cursor=cursor)
    return render_template("shop/index.html", page=page, paged=bool(cursor))


def render_product(product: ProductRecord, form: CartLineForm | None = None) -> str:
    form = form or CartLineForm(product_id=str(product.id))
    return render_template("shop/product.html", product=product, form=form)


@bp.get("/shop/<id:product_id>")
def product(product_id: int) -> str:
    return render_product(CatalogService().get(product_id))


# --- the cart -----------------------------------------------------------------------------


def checkout_form(accounts: list[Account], lines: list[CartLine]) -> CheckoutForm:
    """A fresh checkout form, paying by default from the first account in the cart's currency."""
    form = CheckoutForm(formdata=None)
    form.account.choices = account_choices(accounts)
    currencies = set(totals_of(lines))
    matching = [a.id for a in accounts if a.currency in currencies] or [a.id for a in accounts]
    form.account.data = matching[0] if matching else None
    return form


def render_cart(
    form: CheckoutForm | None = None, line_errors: dict[int, list[str]] | None = None
) -> str:
    cart = cart_contents()
    lines = cart_lines(cart, line_errors)
    form = form or checkout_form(own_accounts(), lines)
    # Every rendering gets a new one-time key and the cart as it is shown now; a refused
    # checkout keeps the account the member chose.
    form.key.data = uuid.uuid4().hex
    form.cart.data = cart_snapshot(cart)
    return render_template(
        "shop/cart.html",
        lines=lines,
        totals=totals_of(lines),
        form=form,
        action=ActionForm(),
    )


@bp.get("/cart")
@login_required
def cart() -> str:
    return render_cart()


def quantity_problem(product: ProductRecord, wanted: int, in_cart: int = 0) -> str | None:
    """Why `wanted` of this product cannot be in the cart now, if it cannot."""
    held = f"; your cart holds {in_cart}" if in_cart else ""
    if not product.is_active:
        return "is no longer sold; remove it from your cart"
    if wanted > MAX_QUANTITY:
        return f"must be at most {MAX_QUANTITY} of one product{held}"
    if wanted > product.stock:
        return f"only {product.stock} in stock{held}"
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
        problem = quantity_problem(product, in_cart + form.quantity.data, in_cart)
        if product.id not in cart and len(cart) >= MAX_ITEMS_PER_ORDER:
            problem = (
                f"your cart already holds {MAX_ITEMS_PER_ORDER} products, the most an order may"
            )
        if problem is None:
            cart[product.id] = in_cart + form.quantity.data
            save_cart(cart)
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
    if not problems:
        product = CatalogService().get(product_id, include_archived=True)
        problem = quantity_problem(product, form.quantity.data)
        problems = [problem] if problem else []
    if problems:
        return render_cart(line_errors={product_id: [f"Quantity {p}" for p in problems]})
    cart[product_id] = form.quantity.data
    save_cart(cart)
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


def checkout_fingerprint(snapshot: str, account_id: int) -> str:
    return hashlib.sha256(f"checkout\n{snapshot}\n{account_id}".encode()).hexdigest()


def show_checkout_error(
    form: CheckoutForm, error: AppError, lines: list[LineRequest]
) -> dict[int, list[str]]:
    """The service's refusal on the cart page: a line's problem on its line, an account's on
    the account field, the rest above the form. Returns the problems per product id."""
    per_line: dict[int, list[str]] = {}
    details = error.details or {}
    for key, message in details.items():
        match = LINE_DETAIL.fullmatch(key)
        if match and int(match[1]) < len(lines):
            per_line.setdefault(lines[int(match[1])].product_id, []).append(message)
    if isinstance(error, InsufficientFunds | CurrencyMismatch) or "accountId" in details:
        show_error(form, type(error)(error.message, details={"account": error.message}))
    elif isinstance(error, ValidationError) and per_line:
        form.form_errors.append("Some products in your cart cannot be ordered.")
    elif isinstance(error, Conflict) and error.message != CART_CHANGED:
        form.form_errors.append(IN_FLIGHT)
    else:
        form.form_errors.append(error.message)
    return per_line


@bp.post("/cart/checkout")
@members_only(back=cart_page)
def checkout() -> str | Response:
    form = CheckoutForm()
    form.account.choices = account_choices(own_accounts())
    if not form.validate_on_submit():
        if form.cart.errors or form.key.errors:
            flash(
                form.cart.errors[0] if form.cart.errors == [EMPTY_CART] else CART_CHANGED, "error"
            )
            return redirect(url_for("web.cart"))
        return render_cart(form)
    snapshot = form.cart.data
    lines = parse_snapshot(snapshot)
    placed: list[Order] = []

    def produce() -> tuple[int, dict[str, str]]:
        if cart_snapshot(cart_contents()) != snapshot:
            raise Conflict(CART_CHANGED)
        order = OrderService().place(
            current_user.principal, account_id=form.account.data, lines=lines
        )
        placed.append(order)
        return 201, {"orderId": str(order.id)}

    try:
        outcome = IdempotencyService().run(
            current_user.id,
            form.key.data,
            checkout_fingerprint(snapshot, form.account.data),
            produce,
        )
    except IdempotencyKeyReused:
        form.form_errors.append(
            "This checkout form was already used for another order. Check your cart and "
            "place the order again."
        )
        return render_cart(form)
    except (
        OutOfStock,
        InsufficientFunds,
        CurrencyMismatch,
        ValidationError,
        NotFound,
        Conflict,
    ) as error:
        return render_cart(form, show_checkout_error(form, error, lines))
    if cart_snapshot(cart_contents()) == snapshot:
        save_cart({})
    order_id = int(outcome.data["orderId"])
    if outcome.replayed:
        flash("This order was already placed.", "info")
    else:
        order = placed[0]
        flash(f"Order {order.id} placed: {money(order.total, order.currency)} paid.", "success")
    return redirect(url_for("web.order", order_id=order_id))


# --- orders -------------------------------------------------------------------------------


@bp.get("/orders")
@login_required
def orders() -> str:
    cursor = request.args.get("cursor") or None
    page = OrderService().list_for(
        current_user.principal, limit=ORDERS_PAGE_SIZE, cursor=cursor, user_id=current_user.id
    )
    return render_template("shop/orders.html", page=page, paged=bool(cursor))


@bp.get("/orders/<id:order_id>")
@login_required
def order(order_id: int) -> str:
    found = OrderService().get(current_user.principal, order_id)
    return render_template("shop/order.html", order=found, action=ActionForm())


@bp.post("/orders/<id:order_id>/cancel")
@members_only(back=order_page)
def cancel_order(order_id: int) -> Response:
    if ActionForm().validate_on_submit():
        try:
            cancelled = OrderService().cancel(current_user.principal, order_id)
        except Conflict as error:
            flash(error.message, "error")
        else:
            refund = money(cancelled.total, cancelled.currency)
            flash(f"Order {cancelled.id} is cancelled: {refund} refunded.", "success")
    return redirect(url_for("web.order", order_id=order_id))
