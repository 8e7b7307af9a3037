"""A member's orders: the list, one order with its items, and cancelling it for a refund."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from webapp.core.errors import Conflict
from webapp.core.money import format_money
from webapp.services.shop.orders import OrderService
from webapp.web.blueprint import bp
from webapp.web.confirmation import Confirmation, render_confirmation
from webapp.web.forms import ActionForm
from webapp.web.session_auth import members_only

ORDERS_PAGE_SIZE = 20


def order_page(order_id: int) -> str:
    return url_for("web.order", order_id=order_id)


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
    return render_template("shop/order.html", order=found)


@bp.get("/orders/<id:order_id>/cancel/confirm")
@login_required
def cancel_order_confirm(order_id: int) -> str:
    found = OrderService().get(current_user.principal, order_id)
    refund = format_money(found.total, found.currency)
    return render_confirmation(
        Confirmation(
            question=f"Cancel order {found.id}?",
            facts=[("Order", str(found.id)), ("Refund", refund)],
            consequence=f"{refund} goes back to account {found.account_id}, and the items"
            " return to stock. This cannot be undone.",
            act=f"Cancel order {found.id} and refund {refund}",
            keep="Keep the order",
            back=order_page(found.id),
        )
    )


@bp.post("/orders/<id:order_id>/cancel")
@members_only(back=order_page)
def cancel_order(order_id: int) -> Response:
    if ActionForm().validate_on_submit():
        try:
            cancelled = OrderService().cancel(current_user.principal, order_id)
        except Conflict as error:
            flash(error.message, "error")
        else:
            refund = format_money(cancelled.total, cancelled.currency)
            flash(f"Order {cancelled.id} is cancelled: {refund} refunded.", "success")
    return redirect(url_for("web.order", order_id=order_id))
