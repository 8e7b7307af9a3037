"""Checkout: the member's cart as shown becomes one order, once, however often the form is
sent, and the cart is emptied with it.

The form carries a one-time key (the idempotency key) and the cart as it was shown; a cart
changed since (in another tab) is not ordered, and the service's refusals are shown on the
cart page next to what they are about.
"""

from __future__ import annotations

import re

from flask import flash, redirect, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from webapp.core.errors import (
    AppError,
    CartChanged,
    Conflict,
    CurrencyMismatch,
    IdempotencyKeyReused,
    InsufficientFunds,
    NotFound,
    OutOfStock,
    ValidationError,
)
from webapp.core.money import format_money
from webapp.services.shop.orders import LineRequest, OrderService
from webapp.web.blueprint import bp
from webapp.web.forms import EMPTY_CART, CheckoutForm, show_error
from webapp.web.session_auth import members_only
from webapp.web.session_cart import parse_snapshot
from webapp.web.shop.cart import cart_page, render_cart
from webapp.web.wallet import account_choices, own_accounts

IN_FLIGHT = "This order is still being placed. Look at your orders before you try again."
LINE_DETAIL = re.compile(r"items\.(\d+)\.\w+")
KEY_REUSED = (
    "This checkout form was already used for another order. Check your cart and "
    "place the order again."
)


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
    if isinstance(error, InsufficientFunds | CurrencyMismatch) or "account_id" in details:
        show_error(form, type(error)(error.message, details={"account": error.message}))
    elif isinstance(error, ValidationError) and per_line:
        form.form_errors.append("Some products in your cart cannot be ordered.")
    elif isinstance(error, Conflict) and not isinstance(error, CartChanged):
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
                form.cart.errors[0] if form.cart.errors == [EMPTY_CART] else CartChanged.message,
                "error",
            )
            return redirect(url_for("web.cart"))
        return render_cart(form)
    snapshot = form.cart.data
    lines = parse_snapshot(snapshot)
    try:
        placed = OrderService().checkout(
            current_user.principal,
            key=form.key.data,
            account_id=form.account.data,
            shown=lines,
        )
    except IdempotencyKeyReused:
        form.form_errors.append(KEY_REUSED)
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
    order = placed.order
    if placed.replayed:
        flash("This order was already placed.", "info")
    else:
        paid = format_money(order.total, order.currency)
        flash(f"Order {order.id} placed: {paid} paid.", "success")
    return redirect(url_for("web.order", order_id=order.id))
