"""/api/v1/accounts and /api/v1/transfers: wallets and the money that moves between them."""

from __future__ import annotations

from flask import Response
from spectree import Response as SpecResponse

from webapp.api.auth_guard import principal, require_auth
from webapp.api.blueprint import bp
from webapp.api.envelope import api_page, api_success
from webapp.api.idempotency import idempotent
from webapp.api.schemas import (
    AccountCreate,
    AccountListQuery,
    AccountPublic,
    CursorQuery,
    DepositCreate,
    HistoryLine,
    TransactionPublic,
    TransferCreate,
)
from webapp.api.validation import spec
from webapp.models.user import ROLE_ADMIN
from webapp.routing import id_from_wire
from webapp.services.accounts import AccountService
from webapp.services.ledger import LedgerService


@bp.get("/accounts")
@require_auth()
@spec.validate(query=AccountListQuery, resp=SpecResponse(HTTP_200=None), tags=["accounts"])
def list_accounts(query: AccountListQuery) -> Response:
    user_id = int(query.user_id) if query.user_id else None
    page = AccountService().list_for(
        principal(), user_id=user_id, limit=query.limit, cursor=query.cursor
    )
    return api_page(page, query.limit, [AccountPublic.model_validate(a) for a in page.items])


@bp.post("/accounts")
@require_auth()
@spec.validate(json=AccountCreate, resp=SpecResponse(HTTP_201=None), tags=["accounts"])
def open_account(json: AccountCreate) -> Response:
    account = AccountService().open(principal(), name=json.name, currency=json.currency)
    return api_success(AccountPublic.model_validate(account), 201)


@bp.get("/accounts/<id:account_id>")
@require_auth()
@spec.validate(resp=SpecResponse(HTTP_200=None), tags=["accounts"])
def get_account(account_id: int) -> Response:
    return api_success(AccountPublic.model_validate(AccountService().get(principal(), account_id)))


@bp.get("/accounts/<id:account_id>/transactions")
@require_auth()
@spec.validate(query=CursorQuery, resp=SpecResponse(HTTP_200=None), tags=["accounts"])
def account_history(account_id: int, query: CursorQuery) -> Response:
    history = LedgerService().history(
        principal(), account_id, limit=query.limit, cursor=query.cursor
    )
    lines = [HistoryLine.of(entry) for entry in history.page.items]
    return api_page(history.page, query.limit, lines)


@bp.post("/accounts/<id:account_id>/deposits")
@require_auth(ROLE_ADMIN)
@spec.validate(json=DepositCreate, resp=SpecResponse(HTTP_201=None), tags=["accounts"])
def deposit(account_id: int, json: DepositCreate) -> Response:
    record = LedgerService().deposit(principal(), account_id, amount=json.amount, memo=json.memo)
    return api_success(TransactionPublic.model_validate(record), 201)


@bp.post("/transfers")
@require_auth()
@idempotent
@spec.validate(json=TransferCreate, resp=SpecResponse(HTTP_201=None), tags=["transfers"])
def create_transfer(json: TransferCreate) -> Response:
    record = LedgerService().transfer(
        principal(),
        from_account_id=id_from_wire(json.from_account_id, "fromAccountId"),
        to_account_id=id_from_wire(json.to_account_id, "toAccountId"),
        amount=json.amount,
        memo=json.memo,
    )
    return api_success(TransactionPublic.model_validate(record), 201)
