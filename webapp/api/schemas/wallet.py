"""The wallet: accounts, deposits, transfers and an account's history."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import Field, WithJsonSchema

from webapp.api.schemas.bases import CursorQuery, PublicSchema, QuerySchema, RequestSchema
from webapp.api.schemas.fields import (
    AccountName,
    Amount,
    Currency,
    DateText,
    Day,
    IdText,
    LedgerType,
    Memo,
    PublicId,
    example,
)
from webapp.core.dates import DATE_PATTERN
from webapp.models.account import DEFAULT_CURRENCY
from webapp.repositories.ledger import HistoryFilter
from webapp.services.wallet.ledger import MAX_HISTORY_TEXT_LENGTH
from webapp.services.wallet.lines import MoneyLine


class AccountCreate(RequestSchema):
    model_config = example({"name": "Savings", "currency": "EUR"})

    name: AccountName
    currency: Currency = DEFAULT_CURRENCY


class AccountPublic(PublicSchema):
    id: PublicId
    user_id: PublicId
    name: str
    currency: str
    balance: int
    created_at: datetime
    updated_at: datetime


class AccountListQuery(CursorQuery):
    user_id: IdText | None = None


class StatementQuery(QuerySchema):
    """The days a statement covers, both included (UTC): by default this month so far."""

    start: DateText | None = Field(
        None, alias="from", description="The first day (default: the first of this month)."
    )
    end: DateText | None = Field(None, alias="to", description="The last day (default: today).")


class HistoryQuery(CursorQuery):
    """An account's history, filtered; a cursor is sent again with the filters it came with."""

    type: LedgerType | None = Field(None, description="Only lines of this ledger type.")
    from_: Day | None = Field(
        None, alias="from", description="The first UTC day, inclusive (YYYY-MM-DD)."
    )
    to: Day | None = Field(None, description="The last UTC day, inclusive (YYYY-MM-DD).")
    q: str | None = Field(
        None,
        max_length=MAX_HISTORY_TEXT_LENGTH,
        description="Text in the memo or the counterparty's email, in any case; "
        "% and _ are matched as themselves.",
    )

    def filters(self) -> HistoryFilter:
        return HistoryFilter(type=self.type, since=self.from_, until=self.to, text=self.q)


class DepositCreate(RequestSchema):
    model_config = example({"amount": 5000, "memo": "Welcome credit"})

    amount: Amount
    memo: Memo | None = None


class TransferCreate(RequestSchema):
    model_config = example(
        {"fromAccountId": "1", "toAccountId": "2", "amount": 1250, "memo": "Lunch"}
    )

    from_account_id: str
    to_account_id: str
    amount: Amount
    memo: Memo | None = None


class EntryLine(PublicSchema):
    account_id: PublicId
    amount: int
    balance_after: int


class TransactionPublic(PublicSchema):
    id: PublicId
    type: str
    amount: int
    currency: str
    memo: str | None
    created_at: datetime
    entries: list[EntryLine]


class CounterpartyPublic(PublicSchema):
    """The member on the other side of a line."""

    name: str
    email: str


class HistoryLine(PublicSchema):
    """One line of an account's history: the amount is signed for that account; the
    counterparty is the other member of a transfer, null for a deposit or an order."""

    id: PublicId
    transaction_id: PublicId
    type: str
    amount: int
    balance_after: int
    currency: str
    memo: str | None
    counterparty: CounterpartyPublic | None
    created_at: datetime

    @classmethod
    def of(cls, line: MoneyLine) -> HistoryLine:
        entry, party = line.entry, line.counterparty
        transaction = entry.transaction
        return cls(
            id=entry.id,
            transaction_id=entry.transaction_id,
            type=transaction.type,
            amount=entry.amount,
            balance_after=entry.balance_after,
            currency=transaction.currency,
            memo=transaction.memo,
            counterparty=CounterpartyPublic(name=party.name, email=party.email) if party else None,
            created_at=entry.created_at,
        )


# Documented here, checked by the service: its refusal names the field in a sentence.
# Sent empty, a day is left out (its default), as a form sends it.
DayText = Annotated[str, WithJsonSchema({"type": "string", "pattern": f"^({DATE_PATTERN})?$"})]


class BalanceHistoryQuery(QuerySchema):
    """A range of UTC days, both ends included."""

    start: DayText | None = Field(
        None,
        alias="from",
        description="The first day, YYYY-MM-DD (UTC); 29 days before `to` when left out or empty.",
    )
    end: DayText | None = Field(
        None,
        alias="to",
        description="The last day, YYYY-MM-DD (UTC); today when left out or empty. The range "
        "is at most 366 days.",
    )


class DayBalancePublic(PublicSchema):
    """The account's balance at the end of a UTC day, in minor units."""

    date: date
    balance: int
