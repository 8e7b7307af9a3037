"""The payment request pages: asking another member for money, the requests both ways, and
paying (a confirmation step of its own), declining or cancelling one."""

from __future__ import annotations

from collections.abc import Callable

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from webapp.core.errors import (
    AppError,
    Conflict,
    CurrencyMismatch,
    InsufficientFunds,
    NotFound,
    ValidationError,
)
from webapp.core.money import format_money
from webapp.models import Account
from webapp.repositories.keyset import Page
from webapp.repositories.payment_requests import DIRECTIONS
from webapp.services.payment_requests import PaymentRequestService, PaymentRequestView
from webapp.services.principal import Principal
from webapp.services.user_rows import Person
from webapp.web.blueprint import bp
from webapp.web.confirmation import Confirmation, moment, render_confirmation
from webapp.web.forms import ActionForm, PaymentRequestForm, PayRequestForm, add_error, show_error
from webapp.web.session_auth import members_only
from webapp.web.wallet import account_choices, own_accounts

REQUESTS_PAGE_SIZE = 20
ASK_REFUSALS = (ValidationError, NotFound, Conflict)
PAY_REFUSALS = (ValidationError, NotFound, InsufficientFunds, CurrencyMismatch)
# LedgerService.transfer()'s details as the pay form names its one field.
PAY_FIELDS = {"from_account_id": "from_account", "amount": "from_account"}


def requests_page(**_view_args: object) -> str:
    return url_for("web.payment_requests")


def amount_of(asked: PaymentRequestView) -> str:
    return format_money(asked.amount, asked.currency)


# --- /requests: ask, and the requests both ways ----------------------------------------------


def request_form(accounts: list[Account]) -> PaymentRequestForm:
    form = PaymentRequestForm()
    form.account_id.choices = account_choices(accounts)
    return form


def ask(form: PaymentRequestForm, accounts: list[Account]) -> PaymentRequestView | None:
    """The filled form as a request: the amount read in the receiving account's currency,
    then asked through the service; None with the reasons on the form."""
    account = next(a for a in accounts if a.id == form.account_id.data)
    amount = form.amount.minor_units(account.currency)
    if amount is None:
        return None
    try:
        return PaymentRequestService().create(
            current_user.principal,
            payer_email=form.payer_email.data,
            amount=amount,
            memo=form.memo.data,
            account_id=account.id,
        )
    except ASK_REFUSALS as error:
        show_error(form, error)
        return None


def request_lists() -> dict[str, Page[PaymentRequestView]]:
    """A page of requests each way, newest first; `?direction=…&cursor=…` pages that one."""
    paged = request.args.get("direction")
    cursor = request.args.get("cursor") or None
    return {
        direction: PaymentRequestService().list_for(
            current_user.principal,
            limit=REQUESTS_PAGE_SIZE,
            cursor=cursor if direction == paged else None,
            direction=direction,
        )
        for direction in DIRECTIONS
    }


@bp.route("/requests", methods=["GET", "POST"])
@login_required
def payment_requests() -> str | Response:
    accounts = own_accounts()
    form = request_form(accounts)
    if form.validate_on_submit() and (asked := ask(form, accounts)) is not None:
        flash(
            f"You asked {asked.payer.name} for {amount_of(asked)}. They see it on their dashboard.",
            "success",
        )
        return redirect(requests_page())
    paged = request.args.get("direction") if request.args.get("cursor") else None
    return render_template("requests/index.html", form=form, pages=request_lists(), paged=paged)


# --- Answering one: pay, decline, cancel -------------------------------------------------------


def answerable(request_id: int, *, as_payer: bool) -> PaymentRequestView | Response:
    """The pending request this member may answer; one answered already is said in a flash
    on /requests instead (someone else's is the 404 page)."""
    try:
        return PaymentRequestService().answerable(
            current_user.principal, request_id, as_payer=as_payer
        )
    except Conflict as error:
        flash(error.message, "info")
        return redirect(requests_page())


def show_pay_error(form: PayRequestForm, error: AppError) -> None:
    """The transfer's refusal on the account chosen to pay from, in the member's words (the
    balance the service counts in minor units is left out)."""
    if isinstance(error, (InsufficientFunds, CurrencyMismatch)):
        add_error(form.from_account, error.message)
    else:
        show_error(form, error, PAY_FIELDS)


@bp.route("/requests/<id:request_id>/pay", methods=["GET", "POST"])
@login_required
def pay_request(request_id: int) -> str | Response:
    """The confirmation naming the requester and the amount; its POST pays, once: a second
    submit finds the request paid (the service's 409) and says so."""
    asked = answerable(request_id, as_payer=True)
    if isinstance(asked, Response):
        return asked
    form = PayRequestForm()
    form.from_account.choices = account_choices(own_accounts())
    if form.validate_on_submit():
        try:
            PaymentRequestService().pay(
                current_user.principal, request_id, from_account_id=form.from_account.data
            )
        except Conflict as error:
            flash(error.message, "info")
            return redirect(requests_page())
        except PAY_REFUSALS as error:
            show_pay_error(form, error)
        else:
            flash(f"Paid {amount_of(asked)} to {asked.requester.name}.", "success")
            return redirect(url_for("web.account", account_id=form.from_account.data))
    return render_template("requests/pay.html", asked=asked, form=form)


def request_facts(asked: PaymentRequestView, label: str, person: Person) -> list[tuple[str, str]]:
    """What names a request on its confirmation page: the other member, amount, date, memo."""
    facts = [
        (label, f"{person.name} ({person.email})"),
        ("Amount", amount_of(asked)),
        ("Asked on", moment(asked.created_at)),
    ]
    return facts + ([("Memo", asked.memo)] if asked.memo else [])


def confirm_answer(
    request_id: int, *, as_payer: bool, confirmation: Callable[[PaymentRequestView], Confirmation]
) -> str | Response:
    """The confirmation page of declining (the payer) or cancelling (the requester)."""
    asked = answerable(request_id, as_payer=as_payer)
    if isinstance(asked, Response):
        return asked
    return render_confirmation(confirmation(asked))


def declining(asked: PaymentRequestView) -> Confirmation:
    name = asked.requester.name
    return Confirmation(
        question=f"Decline {name}'s request for {amount_of(asked)}?",
        facts=request_facts(asked, "Asked by", asked.requester),
        consequence=f"No money moves, and {name} sees the request declined. This cannot be undone.",
        act=f"Decline {name}'s request",
        keep="Keep it waiting",
        back=requests_page(),
    )


def cancelling(asked: PaymentRequestView) -> Confirmation:
    name = asked.payer.name
    return Confirmation(
        question=f"Cancel your request to {name} for {amount_of(asked)}?",
        facts=request_facts(asked, "Asked of", asked.payer),
        consequence=f"{name} can no longer pay it. This cannot be undone.",
        act="Cancel the request",
        keep="Keep the request",
        back=requests_page(),
    )


@bp.get("/requests/<id:request_id>/decline/confirm")
@login_required
def decline_request_confirm(request_id: int) -> str | Response:
    return confirm_answer(request_id, as_payer=True, confirmation=declining)


@bp.get("/requests/<id:request_id>/cancel/confirm")
@login_required
def cancel_request_confirm(request_id: int) -> str | Response:
    return confirm_answer(request_id, as_payer=False, confirmation=cancelling)


def close_request(
    close: Callable[[Principal, int], PaymentRequestView],
    request_id: int,
    said: Callable[[PaymentRequestView], str],
) -> Response:
    """Decline or cancel as confirmed, then back to /requests with what happened."""
    if ActionForm().validate_on_submit():
        try:
            closed = close(current_user.principal, request_id)
        except Conflict as error:
            flash(error.message, "info")
        else:
            flash(said(closed), "success")
    return redirect(requests_page())


@bp.post("/requests/<id:request_id>/decline")
@members_only(back=requests_page)
def decline_request(request_id: int) -> Response:
    return close_request(
        PaymentRequestService().decline,
        request_id,
        lambda r: f"You declined {r.requester.name}'s request for {amount_of(r)}.",
    )


@bp.post("/requests/<id:request_id>/cancel")
@members_only(back=requests_page)
def cancel_request(request_id: int) -> Response:
    return close_request(
        PaymentRequestService().cancel,
        request_id,
        lambda r: f"You cancelled your request to {r.payer.name} for {amount_of(r)}.",
    )
