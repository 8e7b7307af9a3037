"""The wallet pages: the dashboard, an account's history, and sending money."""

from __future__ import annotations

import uuid
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from webapp.core.errors import (
    AppError,
    Conflict,
    CurrencyMismatch,
    IdempotencyKeyReused,
    InsufficientFunds,
    NotFound,
    ValidationError,
)
from webapp.core.ids import parse_public_id
from webapp.core.money import format_money
from webapp.edge.downloads import CSV_MEDIA_TYPE, streamed_download
from webapp.models import Account
from webapp.repositories.ledger import HistoryFilter
from webapp.services.payment_requests import PaymentRequestService
from webapp.services.wallet.accounts import AccountService
from webapp.services.wallet.balance_history import BalanceHistoryService
from webapp.services.wallet.ledger import LedgerService, TransferRequest
from webapp.services.wallet.statement import StatementService, default_period, today_utc
from webapp.web.blueprint import bp
from webapp.web.chart import line_chart
from webapp.web.forms import (
    HistoryFilterForm,
    StatementForm,
    TransferConfirmForm,
    TransferForm,
    add_error,
    show_error,
)

HISTORY_PAGE_SIZE = 20
RECENT_ACTIVITY = 10
WAITING_REQUESTS = 5  # the newest pending requests asked of the member, on the dashboard

# The accounts of LedgerService.transfer() as the transfer form names its fields.
TRANSFER_FIELDS = {"from_account_id": "from_account", "to_account_id": "to"}
# The service words the same-account rule by the API's fields; the page by what was chosen.
SAME_ACCOUNT = "Choose another account than the one you send from."
TRANSFER_REFUSALS = (ValidationError, NotFound, InsufficientFunds, CurrencyMismatch)
STALE_CONFIRMATION = (
    "This confirmation no longer matches a transfer you can send. Check the form and send again."
)
IN_FLIGHT = "This transfer is still being sent. Look at your account before you try again."


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
        waiting=PaymentRequestService().waiting_for(current_user.principal, WAITING_REQUESTS),
        # Sending and shopping need money: a member with none is told how money gets in.
        wallet_empty=not any(account.balance for account in accounts),
    )


# The history filter form's fields by the names the service gives its details.
HISTORY_FIELDS = {"from": "since", "to": "until"}


def history_filters(form: HistoryFilterForm) -> dict[str, str]:
    """The filled filters as the page's query string names them: what "Older" carries."""
    values = {
        "type": form.type.data,
        "from": form.since.data and form.since.data.isoformat(),
        "to": form.until.data and form.until.data.isoformat(),
        "q": form.q.data,
    }
    return {name: value for name, value in values.items() if value}


@bp.get("/accounts/<id:account_id>")
@login_required
def account(account_id: int, statement: StatementForm | None = None) -> str:
    """An account and its history, filtered by the form (a malformed filter is shown on it,
    with no lines); `statement` is the statement form as sent, with its errors, when a
    download was refused."""
    cursor = request.args.get("cursor") or None
    # A refused statement's query (from, to) is the statement form's, not the history's.
    form = HistoryFilterForm(formdata=request.args if statement is None else None)
    page = None
    account = None
    if form.validate():
        filters = HistoryFilter(
            type=form.type.data or None,
            since=form.since.data,
            until=form.until.data,
            text=form.q.data or None,
        )
        try:
            history = LedgerService().history(
                current_user.principal,
                account_id,
                limit=HISTORY_PAGE_SIZE,
                cursor=cursor,
                filters=filters,
            )
            account, page = history.account, history.page
        except ValidationError as error:
            show_error(form, error, HISTORY_FIELDS)
    if account is None:
        account = AccountService().get(current_user.principal, account_id)
    return render_template(
        "wallet/account.html",
        account=account,
        page=page,
        paged=bool(cursor),
        form=form,
        filters=history_filters(form) if page is not None else {},
        **balance_chart(account_id),
        statement=statement or default_statement_form(),
    )


def balance_chart(account_id: int) -> dict[str, Any]:
    """The "Balance" section's numbers: the last days' closing balances, and their line."""
    balance = BalanceHistoryService().history(current_user.principal, account_id)
    return {
        "balance_days": balance.days,
        "balance_chart": line_chart(balance.days, balance.account.currency),
    }


# StatementService's fields as the statement form names them.
STATEMENT_FIELDS = {"from": "start", "to": "end"}


def default_statement_form() -> StatementForm:
    period = default_period(today_utc())
    return StatementForm(
        formdata=None, data={"start": period.start.isoformat(), "end": period.end.isoformat()}
    )


@bp.get("/accounts/<id:account_id>/statement.csv")
@login_required
def account_statement(account_id: int) -> str | Response:
    """The account's statement as CSV (what the API's statement.csv answers); a range the
    service refuses is shown on the account page, next to its field."""
    form = StatementForm(formdata=request.args)
    if form.validate():
        try:
            statement = StatementService().statement(
                current_user.principal, account_id, start=form.start.day, end=form.end.day
            )
        except ValidationError as error:
            show_error(form, error, STATEMENT_FIELDS)
        else:
            return streamed_download(statement.text, statement.filename, CSV_MEDIA_TYPE)
    return account(account_id, statement=form)


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


def read_transfer(form: TransferForm, accounts: list[Account]) -> TransferRequest | None:
    """The filled form as a transfer: the amount read in the chosen account's currency and
    the recipient found, or None with the reason on the form."""
    source = next(a for a in accounts if a.id == form.from_account.data)
    amount = form.amount.minor_units(source.currency)
    if amount is None:
        return None
    try:
        to_account_id = LedgerService().resolve_recipient(form.to.data)
    except NotFound as error:
        show_transfer_error(form, error)
        return None
    return TransferRequest(source.id, to_account_id, amount, form.memo.data)


@bp.route("/transfer", methods=["GET", "POST"])
@login_required
def transfer() -> str | Response:
    """The form, then a confirmation page naming the recipient: no money moves here."""
    accounts = own_accounts()
    form = transfer_form(accounts)
    # "Change" on the confirmation page brings the form back as it was filled.
    if "edit" in request.form or not form.validate_on_submit():
        return render_template("wallet/transfer.html", form=form)
    if (wanted := read_transfer(form, accounts)) is not None:
        try:
            preview = LedgerService().preview_transfer(current_user.principal, wanted)
        except TRANSFER_REFUSALS as error:
            show_transfer_error(form, error)
        else:
            return render_template(
                "wallet/transfer_confirm.html", form=form, preview=preview, key=uuid.uuid4().hex
            )
    return render_template("wallet/transfer.html", form=form)


@bp.post("/transfer/confirm")
@login_required
def confirm_transfer() -> str | Response:
    """Send the transfer as confirmed, once per confirmation page however often it is sent."""
    accounts = own_accounts()
    form = TransferConfirmForm()
    form.from_account.choices = account_choices(accounts)
    if not form.validate_on_submit():
        if form.key.errors:
            form.form_errors.append(STALE_CONFIRMATION)
        return render_template("wallet/transfer.html", form=form)
    if (wanted := read_transfer(form, accounts)) is not None:
        try:
            sent = LedgerService().transfer_once(
                current_user.principal, key=form.key.data, wanted=wanted
            )
        except IdempotencyKeyReused:
            form.form_errors.append(STALE_CONFIRMATION)
        except Conflict:
            form.form_errors.append(IN_FLIGHT)
        except TRANSFER_REFUSALS as error:
            show_transfer_error(form, error)
        else:
            if sent.replayed:
                flash("This transfer was already sent.", "info")
            else:
                paid = format_money(sent.transaction.amount, sent.transaction.currency)
                flash(f"Sent {paid} to {sent.recipient.name}.", "success")
            return redirect(url_for("web.account", account_id=wanted.from_account_id))
    return render_template("wallet/transfer.html", form=form)
