"""Asking for money: a member asks another for an amount; the payer pays or declines it,
the requester may cancel it, and after 30 days it expires.

Paying is a transfer through LedgerService.transfer(), run inside the transaction that
holds the request's row lock and writes `paid`: the money and the status commit together,
and of two payers' clicks at once the second waits on the lock, then finds it paid (409).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from webapp.core.email_address import email_key
from webapp.core.errors import Conflict, Forbidden, NotFound, ValidationError
from webapp.core.money import format_money
from webapp.models import LedgerTransaction, PaymentRequest
from webapp.models.account import MAIN_ACCOUNT_NAME
from webapp.models.base import utcnow
from webapp.models.payment_request import (
    REQUEST_CANCELLED,
    REQUEST_DECLINED,
    REQUEST_LIFETIME,
    REQUEST_PAID,
    REQUEST_PENDING,
    REQUEST_STATUSES,
)
from webapp.repositories.keyset import Page
from webapp.repositories.payment_requests import DIRECTIONS
from webapp.services.events import DomainEvent, subject
from webapp.services.mail import public_link, queue_mail
from webapp.services.principal import Principal
from webapp.services.unit_of_work import UnitOfWork, transaction
from webapp.services.user_rows import Person, load_people, load_user
from webapp.services.wallet.ledger import (
    LedgerService,
    check_amount,
    check_memo,
    not_the_senders_account,
)

MAX_PENDING = 20  # pending requests one member may have made at once
REQUESTS_PATH = "/requests"
NO_SUCH_REQUEST = "No such payment request."
NO_SUCH_PAYER = "No member has this email."
NOT_ONESELF = "Ask another member than yourself."
PAYER_RULES = (NO_SUCH_PAYER, NOT_ONESELF)


@dataclass(frozen=True)
class PaymentRequestView:
    """A request as both sides read it: the people named, the status as of now."""

    id: int
    requester: Person
    payer: Person
    account_id: int
    amount: int
    currency: str
    memo: str | None
    status: str
    created_at: datetime
    expires_at: datetime
    transaction_id: int | None

    @property
    def pending(self) -> bool:
        return self.status == REQUEST_PENDING


def views(uow: UnitOfWork, rows: Sequence[PaymentRequest]) -> list[PaymentRequestView]:
    """The rows with both sides' names and emails: one query for all of them."""
    people = load_people(uow, [r.requester_id for r in rows] + [r.payer_id for r in rows])
    now = utcnow()
    return [
        PaymentRequestView(
            id=row.id,
            requester=people[row.requester_id],
            payer=people[row.payer_id],
            account_id=row.account_id,
            amount=row.amount,
            currency=row.currency,
            memo=row.memo,
            status=row.status_at(now),
            created_at=row.created_at,
            expires_at=row.expires_at,
            transaction_id=row.transaction_id,
        )
        for row in rows
    ]


def pending_held_by(row: PaymentRequest | None, user_id: int, side: str) -> PaymentRequest:
    """The request when `user_id` is its `side` ("payer_id", "requester_id") and it is still
    pending. Anyone else learns nothing, not even that it exists (404); its own side learns
    that it was answered or expired (409)."""
    if row is None or getattr(row, side) != user_id:
        raise NotFound(NO_SUCH_REQUEST)
    status = row.status_at(utcnow())
    if status != REQUEST_PENDING:
        raise Conflict(
            f"This payment request is {status} already: only a pending request can be paid,"
            " declined or cancelled.",
            details={"status": f"The request is {status}."},
        )
    return row


def event(name: str, row: PaymentRequest, actor: Principal) -> DomainEvent:
    return DomainEvent(
        f"payment_request.{name}",
        subject("payment_request", row.id),
        {
            "requesterId": str(row.requester_id),
            "payerId": str(row.payer_id),
            "amount": row.amount,
            "currency": row.currency,
            **({"transactionId": str(row.transaction_id)} if row.transaction_id else {}),
        },
        actor_id=actor.user_id,
    )


class PaymentRequestService:
    def create(
        self,
        requester: Principal,
        *,
        payer_email: str,
        amount: int,
        memo: str | None = None,
        account_id: int | None = None,
    ) -> PaymentRequestView:
        """Ask the member with `payer_email` for `amount`, into one of the requester's
        accounts ("Main" unless named); the payer is mailed."""
        check_amount(amount)
        memo = check_memo(memo)

        def work(uow: UnitOfWork) -> PaymentRequestView:
            # The requester's row lock makes the count and the insert one step: two requests
            # at once cannot both be the 20th.
            me = load_user(uow, requester.user_id, lock=True)
            payer = uow.users.find_by_email(email_key(payer_email))
            if payer is None or not payer.is_active:
                raise ValidationError(details={"payer_email": NO_SUCH_PAYER})
            if payer.id == me.id:
                raise ValidationError(details={"payer_email": NOT_ONESELF})
            account = (
                uow.accounts.find_by_owner_and_name(me.id, MAIN_ACCOUNT_NAME)
                if account_id is None
                else uow.accounts.find_member_account(account_id)
            )
            if account is None or account.user_id != me.id:
                raise NotFound(
                    "No such account.",
                    details={"account_id": "You have no account with this number."},
                )
            now = utcnow()
            if uow.payment_requests.count_pending_by(me.id, now) >= MAX_PENDING:
                raise Conflict(
                    f"You already have {MAX_PENDING} payment requests waiting. Cancel one, or"
                    " wait until one is answered, before you ask again."
                )
            row = uow.payment_requests.create(
                requester_id=me.id,
                payer_id=payer.id,
                account_id=account.id,
                amount=amount,
                currency=account.currency,
                memo=memo,
                status=REQUEST_PENDING,
                created_at=now,
                expires_at=now + REQUEST_LIFETIME,
            )
            queue_mail(
                uow,
                kind="payment_requested",
                to=payer.email,
                user_id=payer.id,
                name=payer.name,
                requester=me,
                amount=format_money(amount, account.currency),
                memo=memo,
                expires_on=row.expires_at.strftime("%Y-%m-%d"),
                requests_link=public_link(REQUESTS_PATH),
            )
            uow.emit(event("created", row, requester))
            return views(uow, [row])[0]

        return transaction(work)

    def list_for(
        self,
        viewer: Principal,
        *,
        limit: int,
        cursor: str | None = None,
        direction: str | None = None,
        status: str | None = None,
        user_id: int | None = None,
    ) -> Page[PaymentRequestView]:
        """The viewer's requests, newest first: asked of them (incoming), by them
        (outgoing) or both; an admin may name another member."""
        member_id = viewer.user_id if user_id is None else user_id
        if not viewer.may_act_for(member_id):
            raise Forbidden("Only an admin may list another member's payment requests.")
        if direction is not None and direction not in DIRECTIONS:
            raise ValidationError(details={"direction": f"Choose one of {', '.join(DIRECTIONS)}."})
        if status is not None and status not in REQUEST_STATUSES:
            raise ValidationError(
                details={"status": f"Choose one of {', '.join(REQUEST_STATUSES)}."}
            )
        with UnitOfWork() as uow:
            page = uow.payment_requests.page_for_member(
                member_id,
                direction=direction,
                status=status,
                now=utcnow(),
                limit=limit,
                cursor=cursor,
            )
            return Page(views(uow, page.items), page.next_cursor, page.has_more)

    def waiting_for(self, payer: Principal, limit: int) -> list[PaymentRequestView]:
        """The pending requests asked of this member, newest first (the dashboard's)."""
        with UnitOfWork() as uow:
            rows = uow.payment_requests.pending_for_payer(payer.user_id, utcnow(), limit)
            return views(uow, rows)

    def get(self, viewer: Principal, request_id: int) -> PaymentRequestView:
        """One request, for its payer or its requester."""
        with UnitOfWork() as uow:
            row = uow.payment_requests.find_by_id(request_id)
            if row is None or viewer.user_id not in (row.payer_id, row.requester_id):
                raise NotFound(NO_SUCH_REQUEST)
            return views(uow, [row])[0]

    def answerable(
        self, actor: Principal, request_id: int, *, as_payer: bool
    ) -> PaymentRequestView:
        """A pending request this member may answer, read without changing it: asked of them
        (`as_payer`: pay, decline) or by them (cancel), refused as those would refuse it."""
        side = "payer_id" if as_payer else "requester_id"
        with UnitOfWork() as uow:
            row = pending_held_by(uow.payment_requests.find_by_id(request_id), actor.user_id, side)
            return views(uow, [row])[0]

    def pay(self, payer: Principal, request_id: int, *, from_account_id: int) -> LedgerTransaction:
        """Pay a pending request asked of this member from one of their accounts: the
        transfer and `paid` in one transaction."""

        def work(uow: UnitOfWork) -> LedgerTransaction:
            row = pending_held_by(uow.payment_requests.lock(request_id), payer.user_id, "payer_id")
            if from_account_id == row.account_id:
                # The requester's account is never the payer's: not "the same account".
                raise not_the_senders_account()
            record = LedgerService().transfer(
                payer,
                from_account_id=from_account_id,
                to_account_id=row.account_id,
                amount=row.amount,
                memo=row.memo,
            )
            uow.payment_requests.update(
                row, status=REQUEST_PAID, resolved_at=utcnow(), transaction_id=record.id
            )
            uow.emit(event("paid", row, payer))
            return record

        return transaction(work)

    def decline(self, payer: Principal, request_id: int) -> PaymentRequestView:
        """The payer says no to a pending request."""
        return self._close(payer, request_id, "payer_id", REQUEST_DECLINED, "declined")

    def cancel(self, requester: Principal, request_id: int) -> PaymentRequestView:
        """The requester takes back a pending request."""
        return self._close(requester, request_id, "requester_id", REQUEST_CANCELLED, "cancelled")

    @staticmethod
    def _close(
        actor: Principal, request_id: int, side: str, status: str, name: str
    ) -> PaymentRequestView:
        def work(uow: UnitOfWork) -> PaymentRequestView:
            row = pending_held_by(uow.payment_requests.lock(request_id), actor.user_id, side)
            uow.payment_requests.update(row, status=status, resolved_at=utcnow())
            uow.emit(event(name, row, actor))
            return views(uow, [row])[0]

        return transaction(work)
