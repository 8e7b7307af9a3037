"""/api/v1/payment-requests: asking another member for money, and answering."""

from __future__ import annotations

from webapp.api.auth_guard import principal
from webapp.api.blueprint import bp
from webapp.api.operations import Link, operation
from webapp.api.schemas.payment_requests import (
    PaymentRequestCreate,
    PaymentRequestListQuery,
    PaymentRequestPay,
    PaymentRequestPublic,
)
from webapp.api.schemas.wallet import TransactionPublic
from webapp.core.ids import id_from_wire
from webapp.models import LedgerTransaction
from webapp.repositories.keyset import Page
from webapp.services.payment_requests import PaymentRequestService, PaymentRequestView

TAG = "payment-requests"
THE_REQUEST = {"requestId": "$response.body#/data/id"}


@bp.get("/payment-requests")
@operation(
    TAG,
    query=PaymentRequestListQuery,
    response=PaymentRequestPublic,
    paginated=True,
    refusals=(403,),
)
def list_payment_requests(query: PaymentRequestListQuery) -> Page[PaymentRequestView]:
    """The caller's payment requests, newest first (an admin: any member's, with userId)."""
    return PaymentRequestService().list_for(
        principal(),
        limit=query.limit,
        cursor=query.cursor,
        direction=query.direction,
        status=query.status,
        user_id=int(query.user_id) if query.user_id else None,
    )


@bp.post("/payment-requests")
@operation(
    TAG,
    status=201,
    body=PaymentRequestCreate,
    response=PaymentRequestPublic,
    refusals=(404, 409),
    links={
        "PayRequest": Link("pay_payment_request", THE_REQUEST),
        "DeclineRequest": Link("decline_payment_request", THE_REQUEST),
        "CancelRequest": Link("cancel_payment_request", THE_REQUEST),
    },
)
def create_payment_request(body: PaymentRequestCreate) -> PaymentRequestView:
    """Ask another member for money, into one of the caller's accounts (Main by default).

    An unknown payer email or the caller's own is 422; a 21st pending request is 409.
    The payer is mailed; the request expires after 30 days.
    """
    return PaymentRequestService().create(
        principal(),
        payer_email=body.payer_email,
        amount=body.amount,
        memo=body.memo,
        account_id=id_from_wire(body.account_id, "account_id") if body.account_id else None,
    )


@bp.post("/payment-requests/<id:request_id>/pay")
@operation(
    TAG,
    status=201,
    body=PaymentRequestPay,
    response=TransactionPublic,
    idempotent=True,
    refusals=(404, 409, 422),
    links={
        "GetPayerHistory": Link("account_history", {"accountId": "$request.body#/fromAccountId"}),
    },
)
def pay_payment_request(request_id: int, body: PaymentRequestPay) -> LedgerTransaction:
    """Pay a pending request asked of the caller: a transfer to the requester's account, in
    one transaction with the request becoming paid (409 when it is not pending)."""
    from_account_id = id_from_wire(body.from_account_id, "from_account_id")
    return PaymentRequestService().pay(principal(), request_id, from_account_id=from_account_id)


@bp.post("/payment-requests/<id:request_id>/decline")
@operation(TAG, response=PaymentRequestPublic, refusals=(404, 409))
def decline_payment_request(request_id: int) -> PaymentRequestView:
    """Decline a pending request asked of the caller (409 when it is not pending)."""
    return PaymentRequestService().decline(principal(), request_id)


@bp.post("/payment-requests/<id:request_id>/cancel")
@operation(TAG, response=PaymentRequestPublic, refusals=(404, 409))
def cancel_payment_request(request_id: int) -> PaymentRequestView:
    """Cancel a pending request the caller made (409 when it is not pending)."""
    return PaymentRequestService().cancel(principal(), request_id)
