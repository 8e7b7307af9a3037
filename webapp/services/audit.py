"""The audit log as admins read it: every domain event, newest first.

The API serves the events as they are; the admin pages read them described (`EventLine`):
who did it and whom it was about by name and email, other subjects in words, the data as
labelled facts. The people and accounts a page names load in one query each, whatever the
number of its rows."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from webapp.core.errors import ValidationError
from webapp.core.ids import parse_public_id
from webapp.core.money import format_money
from webapp.models import Account, Event
from webapp.repositories.keyset import Page
from webapp.services.principal import Principal
from webapp.services.unit_of_work import UnitOfWork
from webapp.services.user_rows import Person, load_people

MAX_PAGE_SIZE = 100
RECENT_EVENTS = 20


# Data keys whose value is an account id, or a user id, and those holding minor units.
ACCOUNT_KEYS = frozenset({"accountId", "fromAccountId", "toAccountId"})
USER_KEYS = frozenset({"userId", "actorId"})
MONEY_KEYS = frozenset({"amount", "total", "price"})
# Labels where splitting the key's words would read wrong.
FACT_LABELS = {
    "fromAccountId": "From",
    "toAccountId": "To",
    "accountId": "Account",
    "productIds": "Products",
    "sessionId": "Session",
    "sku": "SKU",
    "tokenId": "Token",
    "userId": "User",
    "ip": "IP address",
    "isActive": "Active",
    "byAdmin": "By an admin",
    "notSent": "Not sent because",
}
WORD_START = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


@dataclass(frozen=True)
class Fact:
    """One entry of an event's data, as a page reads it; `person` when it names a user."""

    label: str
    text: str
    person: Person | None = None


@dataclass(frozen=True)
class EventLine:
    """An event described for a page: `subject_person` for a user subject, else
    `subject_text` ("Order 12", "Account 3 (Main, Bob Example)")."""

    event: Event
    actor: Person | None
    subject_person: Person | None
    subject_text: str
    facts: list[Fact]


def split_subject(subject: str) -> tuple[str, str]:
    kind, _, raw_id = subject.partition(":")
    return kind, raw_id


def fact_label(key: str) -> str:
    """ "fromAccountId" → "From"; "sessionsEnded" → "Sessions ended"."""
    if key in FACT_LABELS:
        return FACT_LABELS[key]
    words = WORD_START.sub(" ", key).replace("_", " ").lower()
    return words[:1].upper() + words[1:]


def value_text(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list | tuple):
        return ", ".join(value_text(item) for item in value) or "none"
    if isinstance(value, dict) and set(value) == {"from", "to"}:
        return f"{value_text(value['from'])} → {value_text(value['to'])}"
    if isinstance(value, dict):
        return "; ".join(f"{fact_label(k)}: {value_text(v)}" for k, v in value.items())
    return str(value)


def account_text(account_id: int, accounts: dict[int, Account], people: dict[int, Person]) -> str:
    """ "Account 3 (Main, Bob Example)"; a system account by its name; "Account 3" if gone."""
    account = accounts.get(account_id)
    if account is None:
        return f"Account {account_id}"
    owner = people.get(account.user_id) if account.user_id is not None else None
    whose = f", {owner.name}" if owner is not None and owner.known else ""
    return f"Account {account_id} ({account.name}{whose})"


def referenced_ids(events: Iterable[Event]) -> tuple[set[int], set[int]]:
    """The user ids and account ids a list of events names."""
    user_ids: set[int] = set()
    account_ids: set[int] = set()
    for event in events:
        if event.actor_id is not None:
            user_ids.add(event.actor_id)
        kind, raw_id = split_subject(event.subject)
        subject_id = parse_public_id(raw_id)
        if subject_id is not None and kind in ("user", "account"):
            (user_ids if kind == "user" else account_ids).add(subject_id)
        for key, value in (event.data or {}).items():
            named = parse_public_id(str(value))
            if named is not None and key in ACCOUNT_KEYS:
                account_ids.add(named)
            elif named is not None and key in USER_KEYS:
                user_ids.add(named)
    return user_ids, account_ids


def describe(uow: UnitOfWork, events: list[Event]) -> list[EventLine]:
    """The events as pages show them, with two queries whatever their number: the accounts
    they name, then every person they name (account owners included)."""
    user_ids, account_ids = referenced_ids(events)
    accounts = uow.accounts.find_by_ids(account_ids)
    owners = {a.user_id for a in accounts.values() if a.user_id is not None}
    people = load_people(uow, user_ids | owners)
    return [line_of(event, accounts, people) for event in events]


def line_of(event: Event, accounts: dict[int, Account], people: dict[int, Person]) -> EventLine:
    kind, raw_id = split_subject(event.subject)
    subject_id = parse_public_id(raw_id)
    subject_person = people.get(subject_id) if kind == "user" and subject_id else None
    if kind == "account" and subject_id is not None:
        subject_text = account_text(subject_id, accounts, people)
    elif kind == "email":
        subject_text = "Not an email address" if raw_id == "invalid" else f"{raw_id} (no member)"
    else:
        subject_text = f"{kind.replace('_', ' ').capitalize()} {raw_id}".strip()
    return EventLine(
        event=event,
        actor=people.get(event.actor_id) if event.actor_id is not None else None,
        subject_person=subject_person,
        subject_text=subject_text,
        facts=facts_of(event.data or {}, accounts, people),
    )


def facts_of(
    data: dict[str, Any], accounts: dict[int, Account], people: dict[int, Person]
) -> list[Fact]:
    currency = data.get("currency")
    shows_money = isinstance(currency, str) and any(key in data for key in MONEY_KEYS)
    facts = []
    for key, value in data.items():
        named = parse_public_id(str(value)) if not isinstance(value, bool) else None
        label = fact_label(key)
        if key == "currency" and shows_money:
            continue  # said with the amount
        if key in MONEY_KEYS and shows_money and type(value) is int:
            facts.append(Fact(label, format_money(value, str(currency))))
        elif key in ACCOUNT_KEYS and named is not None:
            facts.append(Fact(label, account_text(named, accounts, people)))
        elif key in USER_KEYS and named is not None:
            facts.append(Fact(label, "", people.get(named, Person(named))))
        else:
            facts.append(Fact(label, value_text(value)))
    return facts


def check_limit(limit: int) -> int:
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise ValidationError(details={"limit": f"The limit must be 1 to {MAX_PAGE_SIZE}."})
    return limit


class AuditService:
    def page(
        self,
        viewer: Principal,
        *,
        limit: int,
        cursor: str | None = None,
        event_type: str | None = None,
        user_id: int | None = None,
    ) -> Page[Event]:
        """One page of the log, newest first (admins only): of one type, and/or involving one
        user — events about them (subject "user:<id>") or done by them (actor). A malformed
        cursor raises InvalidCursor."""
        with UnitOfWork() as uow:
            return self._page(uow, viewer, limit, cursor, event_type, user_id)

    def described_page(
        self,
        viewer: Principal,
        *,
        limit: int,
        cursor: str | None = None,
        event_type: str | None = None,
        user_id: int | None = None,
    ) -> Page[EventLine]:
        """page(), described for the admin's events page (a fixed number of queries)."""
        with UnitOfWork() as uow:
            page = self._page(uow, viewer, limit, cursor, event_type, user_id)
            return Page(describe(uow, page.items), page.next_cursor, page.has_more)

    @staticmethod
    def _page(
        uow: UnitOfWork,
        viewer: Principal,
        limit: int,
        cursor: str | None,
        event_type: str | None,
        user_id: int | None,
    ) -> Page[Event]:
        viewer.require_admin()
        check_limit(limit)
        return uow.events.page_log(
            limit=limit, cursor=cursor, event_type=event_type or None, user_id=user_id
        )

    def recent_about_user(
        self, viewer: Principal, user_id: int, *, limit: int = RECENT_EVENTS
    ) -> list[Event]:
        """The newest events about or by the user, newest first (admins only)."""
        viewer.require_admin()
        check_limit(limit)
        with UnitOfWork() as uow:
            return uow.events.recent_involving(user_id, limit)

    def event_types(self) -> list[str]:
        """The distinct event types the log holds, sorted (the choices of a type filter)."""
        with UnitOfWork() as uow:
            return uow.events.types_present()
