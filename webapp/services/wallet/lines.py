"""Money lines as a member reads them: each ledger entry with the other side of it.

The rule of who the other side is lives here once; the API's `counterparty` and every
page's "sent to / received from" take it from `MoneyLine`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from webapp.models import LedgerEntry
from webapp.models.ledger import TX_DEPOSIT, TX_ORDER_PAYMENT, TX_REFUND, TX_TRANSFER
from webapp.services.unit_of_work import UnitOfWork

# What a page names as the other side of a line that no member is on.
OTHER_SIDE = {
    TX_DEPOSIT: "Deposit",
    TX_ORDER_PAYMENT: "Shop order",
    TX_REFUND: "Shop order refund",
    TX_TRANSFER: "Another member",  # only if the other member's record is gone
}
# The types whose other side is a member: only they have a counterparty.
MEMBER_TYPES = (TX_TRANSFER,)


@dataclass(frozen=True)
class Counterparty:
    """The member on the other side of a line."""

    name: str
    email: str


@dataclass(frozen=True)
class MoneyLine:
    entry: LedgerEntry
    counterparty: Counterparty | None

    @property
    def other_side(self) -> str:
        """The other side in a page's words: "Sent to Bob Example", "Deposit", "Shop order"."""
        if self.counterparty is None:
            return OTHER_SIDE[self.entry.transaction.type]
        direction = "Sent to" if self.entry.amount < 0 else "Received from"
        return f"{direction} {self.counterparty.name}"


def money_lines(uow: UnitOfWork, entries: Sequence[LedgerEntry]) -> list[MoneyLine]:
    """The entries (their transactions loaded) as lines with their counterparties: one query
    for all of them, however many there are."""
    parties = other_members(
        uow,
        [(e.id, e.transaction_id) for e in entries if e.transaction.type in MEMBER_TYPES],
    )
    return [MoneyLine(entry, parties.get(entry.id)) for entry in entries]


def other_members(uow: UnitOfWork, entries: Iterable[tuple[int, int]]) -> dict[int, Counterparty]:
    """Entry id → the owner of its transaction's other entry (a transfer has two), for
    (entry id, transaction id) pairs of lines whose type has a member on the other side;
    one query for all of them."""
    wanted = dict(entries)
    parties: dict[int, Counterparty] = {}
    sides: dict[int, list[tuple[int, Counterparty]]] = {}
    for transaction_id, entry_id, name, email in uow.ledger.member_sides(set(wanted.values())):
        sides.setdefault(transaction_id, []).append((entry_id, Counterparty(name, email)))
    for entry_id, transaction_id in wanted.items():
        other = next((p for side, p in sides.get(transaction_id, []) if side != entry_id), None)
        if other is not None:
            parties[entry_id] = other
    return parties
