"""Queries over payment requests, with expiry read from the clock (see the model)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, and_, false, or_, update

from webapp.models import PaymentRequest
from webapp.models.payment_request import REQUEST_EXPIRED, REQUEST_PENDING
from webapp.repositories.base import Repository
from webapp.repositories.keyset import Page

INCOMING = "incoming"  # asked of the member: they are the payer
OUTGOING = "outgoing"  # asked by the member: they are the requester
DIRECTIONS = (INCOMING, OUTGOING)


def is_pending(now: datetime) -> ColumnElement[bool]:
    return and_(PaymentRequest.status == REQUEST_PENDING, PaymentRequest.expires_at > now)


def has_status(status: str, now: datetime) -> ColumnElement[bool]:
    """The rows whose status as of `now` is `status` (PaymentRequest.status_at in SQL)."""
    if status == REQUEST_PENDING:
        return is_pending(now)
    if status == REQUEST_EXPIRED:
        lapsed = and_(PaymentRequest.status == REQUEST_PENDING, PaymentRequest.expires_at <= now)
        return or_(PaymentRequest.status == REQUEST_EXPIRED, lapsed)
    return PaymentRequest.status == status


def of_member(user_id: int, direction: str | None) -> ColumnElement[bool]:
    """A member's requests one way (INCOMING, OUTGOING) or both (None)."""
    incoming = PaymentRequest.payer_id == user_id
    outgoing = PaymentRequest.requester_id == user_id
    if direction == INCOMING:
        return incoming
    if direction == OUTGOING:
        return outgoing
    if direction is None:
        return or_(incoming, outgoing)
    return false()


class PaymentRequestRepository(Repository[PaymentRequest]):
    model = PaymentRequest

    def lock(self, request_id: int) -> PaymentRequest | None:
        """The request, held until the transaction ends and read as committed: two payers'
        clicks at once queue here, and the second sees the first's answer."""
        return self.lock_for_update([request_id]).get(request_id)

    def count_pending_by(self, requester_id: int, now: datetime) -> int:
        return self.count(where=[PaymentRequest.requester_id == requester_id, is_pending(now)])

    def page_for_member(
        self,
        user_id: int,
        *,
        direction: str | None,
        status: str | None,
        now: datetime,
        limit: int,
        cursor: str | None,
    ) -> Page[PaymentRequest]:
        """One page of a member's requests, newest first."""
        where = [of_member(user_id, direction)]
        if status is not None:
            where.append(has_status(status, now))
        return self.find_page(limit=limit, cursor=cursor, where=where)

    def export_chunk(self, user_id: int, *, after_id: int, limit: int) -> list[PaymentRequest]:
        """A keyset step over the requests asked of the user or by them, oldest first."""
        return self.find_after(after_id, limit=limit, where=[of_member(user_id, None)])

    def pending_for_payer(self, payer_id: int, now: datetime, limit: int) -> list[PaymentRequest]:
        """What a member is asked to pay, newest first."""
        return self.find_many(
            where=[PaymentRequest.payer_id == payer_id, is_pending(now)], limit=limit
        )

    def resolve_pending_of(self, user_id: int, direction: str, status: str, now: datetime) -> int:
        """Give every pending request of the member one way (INCOMING, OUTGOING) the status
        `status`, resolved now; returns how many there were. A request paid at the same
        moment keeps `paid`: the update waits on its row lock, then finds it resolved."""
        statement = (
            update(PaymentRequest)
            .where(of_member(user_id, direction), is_pending(now))
            .values(status=status, resolved_at=now)
        )
        return self.session.execute(statement).rowcount or 0
