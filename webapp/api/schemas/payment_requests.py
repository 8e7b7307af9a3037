"""Payment requests: asking another member for money, and answering."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from webapp.api.schemas.bases import CursorQuery, PublicSchema, RequestSchema
from webapp.api.schemas.fields import Amount, EmailAddress, IdText, Memo, PublicId, example
from webapp.models.payment_request import REQUEST_STATUSES
from webapp.repositories.payment_requests import DIRECTIONS

RequestStatus = Literal[REQUEST_STATUSES]  # type: ignore[valid-type]
Direction = Literal[DIRECTIONS]  # type: ignore[valid-type]


class PaymentRequestCreate(RequestSchema):
    model_config = example(
        {"payerEmail": "bob@example.com", "amount": 1250, "memo": "Lunch", "accountId": "1"}
    )

    payer_email: EmailAddress
    amount: Amount
    memo: Memo | None = None
    account_id: str | None = Field(
        None, description="One of the caller's accounts, to receive the money (default: Main)."
    )


class PaymentRequestPay(RequestSchema):
    model_config = example({"fromAccountId": "2"})

    from_account_id: str


class PartyPublic(PublicSchema):
    """A member on one side of a request."""

    id: PublicId
    name: str
    email: str


class PaymentRequestPublic(PublicSchema):
    id: PublicId
    requester: PartyPublic
    payer: PartyPublic
    account_id: PublicId
    amount: int
    currency: str
    memo: str | None
    status: RequestStatus
    created_at: datetime
    expires_at: datetime


class PaymentRequestListQuery(CursorQuery):
    direction: Direction | None = Field(
        None,
        description="incoming: asked of the member; outgoing: asked by them; both if left out.",
    )
    status: RequestStatus | None = None
    user_id: IdText | None = Field(None, description="Another member's requests (admins).")
