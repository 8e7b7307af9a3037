"""A member's data, exported: everything Tally holds about them as one JSON document.

`{user, accounts, transactions, orders, paymentRequests, sessions, personalAccessTokens,
webhooks, events}`, written as the API writes its records (camelCase, ids as strings,
UTC moments ending in Z). Never a password hash, token hash, TOTP secret or recovery code:
each record names the fields it takes, and none of those is among them.

The document is streamed like a statement (webapp.services.wallet.statement): each section
is read in keyset chunks of EXPORT_CHUNK rows by id, oldest first, each chunk in a short
read-only unit of work of its own, and written out before the next is read. A chunk costs
the same statements whatever its rows, so the total grows only with every EXPORT_CHUNK rows.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from webapp.models import Account, AuthSession, Event, Order, PersonalAccessToken, User
from webapp.services.payment_requests import PaymentRequestView, views
from webapp.services.principal import Principal
from webapp.services.unit_of_work import UnitOfWork
from webapp.services.user_rows import Person, load_user
from webapp.services.wallet.lines import MoneyLine, money_lines
from webapp.services.wallet.statement import iso_utc

EXPORT_CHUNK = 1000  # rows read per query
MEDIA_TYPE = "application/json"

JsonObject = dict[str, Any]


def moment(value: datetime | None) -> str | None:
    return iso_utc(value) if value is not None else None


def public_id(value: int | None) -> str | None:
    return str(value) if value is not None else None


def user_record(user: User) -> JsonObject:
    """The profile, and whether a second factor is on since when (never its secret)."""
    return {
        "id": str(user.id),
        "email": user.email,
        "name": user.name,
        "roles": user.roles,
        "isActive": user.is_active,
        "emailVerified": user.email_verified,
        "emailVerifiedAt": moment(user.email_verified_at),
        "mfaEnabled": user.mfa_enabled,
        "mfaEnabledAt": moment(user.totp_enabled_at),
        "notifyMoneyReceived": user.notify_money_received,
        "closedAt": moment(user.closed_at),
        "createdAt": moment(user.created_at),
        "updatedAt": moment(user.updated_at),
    }


def account_record(account: Account) -> JsonObject:
    return {
        "id": str(account.id),
        "name": account.name,
        "currency": account.currency,
        "balance": account.balance,
        "createdAt": moment(account.created_at),
        "updatedAt": moment(account.updated_at),
    }


def line_record(line: MoneyLine) -> JsonObject:
    """A ledger line as the history reads it, with the account it is on."""
    entry, party = line.entry, line.counterparty
    transaction = entry.transaction
    return {
        "id": str(entry.id),
        "transactionId": str(entry.transaction_id),
        "accountId": str(entry.account_id),
        "type": transaction.type,
        "amount": entry.amount,
        "balanceAfter": entry.balance_after,
        "currency": transaction.currency,
        "memo": transaction.memo,
        "counterparty": {"name": party.name, "email": party.email} if party else None,
        "createdAt": moment(entry.created_at),
    }


def order_record(order: Order) -> JsonObject:
    return {
        "id": str(order.id),
        "accountId": str(order.account_id),
        "status": order.status,
        "total": order.total,
        "currency": order.currency,
        "items": [
            {
                "productId": str(item.product_id),
                "sku": item.sku,
                "name": item.name,
                "quantity": item.quantity,
                "unitPrice": item.unit_price,
                "lineTotal": item.line_total,
            }
            for item in order.items
        ],
        "createdAt": moment(order.created_at),
        "cancelledAt": moment(order.cancelled_at),
    }


def party_record(person: Person) -> JsonObject:
    return {"id": str(person.id), "name": person.name, "email": person.email}


def request_record(request: PaymentRequestView, user_id: int) -> JsonObject:
    """A request either way. The account the money goes to is the requester's: named only
    when that is the member (another member's account ids are theirs)."""
    outgoing = request.requester.id == user_id
    return {
        "id": str(request.id),
        "direction": "outgoing" if outgoing else "incoming",
        "requester": party_record(request.requester),
        "payer": party_record(request.payer),
        "accountId": str(request.account_id) if outgoing else None,
        "amount": request.amount,
        "currency": request.currency,
        "memo": request.memo,
        "status": request.status,
        "transactionId": public_id(request.transaction_id),
        "createdAt": moment(request.created_at),
        "expiresAt": moment(request.expires_at),
    }


def session_record(session: AuthSession) -> JsonObject:
    return {
        "id": str(session.id),
        "kind": session.kind,
        "createdAt": moment(session.created_at),
        "lastUsedAt": moment(session.last_used_at),
        "userAgent": session.user_agent,
        "ipAddress": session.ip_address,
        "revoked": session.revoked_at is not None,
        "revokedAt": moment(session.revoked_at),
    }


def token_record(token: PersonalAccessToken) -> JsonObject:
    """A token by its name, scopes and dates: never the token or its hash."""
    return {
        "id": str(token.id),
        "name": token.name,
        "scopes": token.scope_list,
        "createdAt": moment(token.created_at),
        "expiresAt": moment(token.expires_at),
        "lastUsedAt": moment(token.last_used_at),
        "revokedAt": moment(token.revoked_at),
    }


def event_record(event: Event) -> JsonObject:
    return {
        "id": str(event.id),
        "type": event.type,
        "actorId": public_id(event.actor_id),
        "subject": event.subject,
        "data": event.data,
        "requestId": event.request_id,
        "createdAt": moment(event.created_at),
    }


class Exportable(Protocol):
    """A repository that walks a member's rows of one kind in keyset chunks."""

    def export_chunk(self, user_id: int, *, after_id: int, limit: int) -> Sequence[Any]: ...


# A chunk's rows as records: (unit of work, user id, rows) → one record per row, in order.
Records = Callable[[UnitOfWork, int, Sequence[Any]], list[JsonObject]]


def each(build: Callable[[Any], JsonObject]) -> Records:
    return lambda _uow, _user_id, rows: [build(row) for row in rows]


def lines(uow: UnitOfWork, _user_id: int, entries: Sequence[Any]) -> list[JsonObject]:
    return [line_record(line) for line in money_lines(uow, entries)]


def requests(uow: UnitOfWork, user_id: int, rows: Sequence[Any]) -> list[JsonObject]:
    return [request_record(view, user_id) for view in views(uow, rows)]


def no_records(_uow: UnitOfWork, _user_id: int, _rows: Sequence[Any]) -> list[JsonObject]:
    return []


@dataclass(frozen=True)
class Section:
    name: str
    rows: Callable[[UnitOfWork], Exportable] | None  # None: nothing of the kind exists yet
    records: Records = no_records


# The document's lists, in its order (after "user").
SECTIONS = (
    Section("accounts", lambda uow: uow.accounts, each(account_record)),
    Section("transactions", lambda uow: uow.ledger, lines),
    Section("orders", lambda uow: uow.orders, each(order_record)),
    Section("paymentRequests", lambda uow: uow.payment_requests, requests),
    Section("sessions", lambda uow: uow.sessions, each(session_record)),
    Section("personalAccessTokens", lambda uow: uow.access_tokens, each(token_record)),
    Section("webhooks", None),  # webhooks do not exist yet
    Section("events", lambda uow: uow.events, each(event_record)),
)


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


@dataclass(frozen=True)
class Export:
    user_id: int
    text: Iterator[str]  # the JSON document, section by section, chunk by chunk

    @property
    def filename(self) -> str:
        return f"tally-export-{self.user_id}.json"


class ExportService:
    def export(self, principal: Principal) -> Export:
        """The caller's data as one JSON document. Only a login session may take it (a
        personal access token: InsufficientScope), checked now with the profile read; the
        rest is read as `text` is iterated, which must happen inside the request."""
        principal.require_login_session()
        with UnitOfWork() as uow:
            user = user_record(load_user(uow, principal.user_id))
        return Export(principal.user_id, self._text(principal.user_id, user))

    def _text(self, user_id: int, user: JsonObject) -> Iterator[str]:
        yield '{"user":' + dumps(user)
        for section in SECTIONS:
            yield f',"{section.name}":['
            yield from self._section(user_id, section)
            yield "]"
        yield "}"

    @staticmethod
    def _section(user_id: int, section: Section) -> Iterator[str]:
        if section.rows is None:
            return
        after_id, separator = 0, ""
        while True:
            with UnitOfWork() as uow:
                rows = section.rows(uow).export_chunk(
                    user_id, after_id=after_id, limit=EXPORT_CHUNK
                )
                text = ",".join(dumps(record) for record in section.records(uow, user_id, rows))
                last_id = rows[-1].id if rows else after_id
            if text:
                yield separator + text
                separator = ","
            if len(rows) < EXPORT_CHUNK:
                return
            after_id = last_id
