"""The wallet pages: the dashboard, an account's history, and sending money."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from webapp.core.errors import (
    AppError,
    CurrencyMismatch,
    InsufficientFunds,
    NotFound,
    ValidationError,
)
from webapp.core.ids import parse_public_id
from webapp.core.money import format_money
from webapp.models import Account
from webapp.services.wallet.accounts import AccountService
from webapp.services.wallet.ledger import LedgerService
from webapp.web.blueprint import bp
from webapp.web.forms import TransferForm, add_error, show_error

HISTORY_PAGE_SIZE = 20
RECENT_ACTIVITY = 10

# The accounts of LedgerService.transfer() as the transfer form names its fields.
TRANSFER_FIELDS = {"from_account_id": "from_account", "to_account_id": "to"}
# The service words the same-account rule by the API's fields; the page by what was chosen.
SAME_ACCOUNT = "must be another account than the one you send from"


def own_accounts() -> list[Account]:
    """The member's accounts, oldest first ("Main" leads)."""
    return AccountService().all_of(current_user.id)


@bp.get("/dashboard")
@login_required
def dashboard() -> str:
    accounts = own_accounts()
    return render_template(
        "wallet/dashboard.html",
        accounts=accounts,
        activity=LedgerService().recent_activity(accounts, limit=RECENT_ACTIVITY),
    )


@bp.get("/accounts/<id:account_id>")
@login_required
def account(account_id: int) -> str:
    cursor = request.args.get("cursor") or None
    history = LedgerService().history(
        current_user.principal, account_id, limit=HISTORY_PAGE_SIZE, cursor=cursor
    )
    return render_template(
        "wallet/account.html", account=history.account, page=history.page, paged=bool(cursor)
    )


def transfer_form(accounts: list[Account]) -> TransferForm:
    form = TransferForm(from_account=parse_public_id(request.args.get("from")))
    form.from_account.choices = account_choices(accounts)
    return form


def account_choices(accounts: list[Account]) -> list[tuple[int, str]]:
    """A select's options for paying from one of these accounts: name and balance."""
    return [(a.id, f"{a.name} — {format_money(a.balance, a.currency)}") for a in accounts]


def show_transfer_error(form: TransferForm, error: AppError) -> None:
    """LedgerService.transfer()'s refusal on the form, in the member's words: the balance it
    counts in minor units is left out, and a currency or the same account is about `to`."""
    if isinstance(error, InsufficientFunds):
        add_error(form.amount, error.message)
    elif isinstance(error, CurrencyMismatch):
        add_error(form.to, error.message)
    elif isinstance(error, ValidationError) and "to_account_id" in (error.details or {}):
        add_error(form.to, SAME_ACCOUNT)
    else:
        show_error(form, error, TRANSFER_FIELDS)


@bp.route("/transfer", methods=["GET", "POST"])
@login_required
def transfer() -> str | Response:
    accounts = own_accounts()
    form = transfer_form(accounts)
    if form.validate_on_submit():
        source = next(a for a in accounts if a.id == form.from_account.data)
        amount = form.amount.minor_units(source.currency)
        if amount is not None:
            try:
                LedgerService().transfer(
                    current_user.principal,
                    from_account_id=source.id,
                    to_account_id=LedgerService().resolve_recipient(form.to.data),
                    amount=amount,
                    memo=form.memo.data,
                )
            except (ValidationError, NotFound, InsufficientFunds, CurrencyMismatch) as error:
                show_transfer_error(form, error)
            else:
                flash(f"Sent {format_money(amount, source.currency)}.", "success")
                return redirect(url_for("web.account", account_id=source.id))
    return render_template("wallet/transfer.html", form=form)
