"""/api/v1/accounts and /api/v1/transfers: wallets and the money that moves between them."""

from __future__ import annotations

from flask import Response

from webapp.api.auth_guard import principal
from webapp.api.blueprint import bp
from webapp.api.operations import Download, Link, operation
from webapp.api.schemas.wallet import (
    AccountCreate,
    AccountListQuery,
    AccountPublic,
    BalanceHistoryQuery,
    DayBalancePublic,
    DepositCreate,
    HistoryLine,
    HistoryQuery,
    StatementQuery,
    TransactionPublic,
    TransferCreate,
)
from webapp.core.ids import id_from_wire
from webapp.edge.downloads import CSV_MEDIA_TYPE, streamed_download
from webapp.models import Account, LedgerTransaction
from webapp.models.user import ROLE_ADMIN
from webapp.repositories.keyset import Page
from webapp.services.wallet.accounts import AccountService
from webapp.services.wallet.balance_history import BalanceHistoryService, DayBalance
from webapp.services.wallet.ledger import LedgerService
from webapp.services.wallet.statement import STATEMENT_COLUMNS, StatementService

THE_ACCOUNT = {"accountId": "$response.body#/data/id"}
STATEMENT_CSV = Download(
    "text/csv",
    f"A header row ({','.join(STATEMENT_COLUMNS)}), then one row per ledger line, oldest "
    "first; amounts are decimals signed for the account; a text cell that would start a "
    "formula begins with '.",
)


@bp.get("/accounts")
@operation(
    "accounts", query=AccountListQuery, response=AccountPublic, paginated=True, refusals=(403,)
)
def list_accounts(query: AccountListQuery) -> Page[Account]:
    """The caller's accounts (an admin: any user's, with userId)."""
    user_id = int(query.user_id) if query.user_id else None
    return AccountService().list_for(
        principal(), user_id=user_id, limit=query.limit, cursor=query.cursor
    )


@bp.post("/accounts")
@operation(
    "accounts",
    status=201,
    body=AccountCreate,
    response=AccountPublic,
    refusals=(409,),
    links={
        "GetAccount": Link("get_account", THE_ACCOUNT),
        "GetHistory": Link("account_history", THE_ACCOUNT),
        "GetBalanceHistory": Link("balance_history", THE_ACCOUNT),
    },
)
def open_account(body: AccountCreate) -> Account:
    """Open another account for the caller (409 when they have one of that name)."""
    return AccountService().open(principal(), name=body.name, currency=body.currency)


@bp.get("/accounts/<id:account_id>")
@operation("accounts", response=AccountPublic)
def get_account(account_id: int) -> Account:
    """One account with its balance (its owner's, or any for an admin)."""
    return AccountService().get(principal(), account_id)


@bp.get("/accounts/<id:account_id>/transactions")
@operation("accounts", query=HistoryQuery, response=HistoryLine, paginated=True)
def account_history(account_id: int, query: HistoryQuery) -> Page[HistoryLine]:
    """The account's history, newest first: each amount signed for it, with the balance after;
    `type`, `from`, `to` and `q` filter it (together, every one must match)."""
    history = LedgerService().history(
        principal(), account_id, limit=query.limit, cursor=query.cursor, filters=query.filters()
    )
    page = history.page
    return Page([HistoryLine.of(line) for line in page.items], page.next_cursor, page.has_more)


@bp.get("/accounts/<id:account_id>/balance-history")
@operation("accounts", query=BalanceHistoryQuery, response=list[DayBalancePublic])
def balance_history(account_id: int, query: BalanceHistoryQuery) -> list[DayBalance]:
    """The account's closing balance on each UTC day of a range, days without movement
    included: the last 30 days by default, at most 366."""
    history = BalanceHistoryService().history(
        principal(), account_id, start=query.start, end=query.end
    )
    return history.days


@bp.get("/accounts/<id:account_id>/statement.csv")
@operation("accounts", query=StatementQuery, download=STATEMENT_CSV)
def account_statement(account_id: int, query: StatementQuery) -> Response:
    """The account's statement as CSV, streamed: its lines from `from` to `to` (UTC days).

    At most 366 days, `from` on or before `to` (else 422 naming `to`); by default this month
    so far. The owner's or any for an admin; a `read` personal access token may fetch it.
    """
    statement = StatementService().statement(
        principal(), account_id, start=query.start, end=query.end
    )
    return streamed_download(statement.text, statement.filename, CSV_MEDIA_TYPE)


@bp.post("/accounts/<id:account_id>/deposits")
@operation(
    "accounts",
    status=201,
    roles=(ROLE_ADMIN,),
    body=DepositCreate,
    response=TransactionPublic,
    refusals=(422,),
    links={"GetHistory": Link("account_history", {"accountId": "$request.path.accountId"})},
)
def deposit(account_id: int, body: DepositCreate) -> LedgerTransaction:
    """Credit an account from outside the system (admins)."""
    return LedgerService().deposit(principal(), account_id, amount=body.amount, memo=body.memo)


@bp.post("/transfers")
@operation(
    "transfers",
    status=201,
    body=TransferCreate,
    response=TransactionPublic,
    idempotent=True,
    refusals=(404, 422),
    links={
        "GetSenderHistory": Link("account_history", {"accountId": "$request.body#/fromAccountId"}),
        "GetRecipientHistory": Link("account_history", {"accountId": "$request.body#/toAccountId"}),
    },
)
def create_transfer(body: TransferCreate) -> LedgerTransaction:
    """Move money between two accounts atomically, from one of the caller's."""
    return LedgerService().transfer(
        principal(),
        from_account_id=id_from_wire(body.from_account_id, "from_account_id"),
        to_account_id=id_from_wire(body.to_account_id, "to_account_id"),
        amount=body.amount,
        memo=body.memo,
    )
