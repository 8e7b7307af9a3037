"""How the audit service describes an event for the admin pages: people by name and email,
subjects in words, the data as labelled facts (no database: the rows are built here)."""

from __future__ import annotations

from typing import Any

import pytest

from webapp.models import Account, Event
from webapp.services.audit import Fact, fact_label, line_of, referenced_ids, value_text
from webapp.services.user_rows import Person

BOB = Person(7, "Bob Example", "bob@example.com")
GONE = Person(8)
ACCOUNTS = {3: Account(id=3, name="Main", user_id=7, currency="USD", balance=0)}
PEOPLE = {7: BOB, 8: GONE}


def event(subject: str, data: dict[str, Any] | None = None, actor_id: int | None = None) -> Event:
    return Event(type="test.thing", subject=subject, data=data or {}, actor_id=actor_id)


@pytest.mark.parametrize(
    ("key", "label"),
    [
        ("amount", "Amount"),
        ("sessionsEnded", "Sessions ended"),
        ("fromAccountId", "From"),
        ("notSent", "Not sent because"),
        ("some_key", "Some key"),
    ],
)
def test_a_key_reads_as_words(key, label):
    assert fact_label(key) == label


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (True, "Yes"),
        (None, "—"),
        (["user", "admin"], "user, admin"),
        ([], "none"),
        ({"from": ["user"], "to": ["user", "admin"]}, "user → user, admin"),
        ({"from": True, "to": False}, "Yes → No"),
        ("plain", "plain"),
    ],
)
def test_a_value_reads_as_text(value, text):
    assert value_text(value) == text


def test_the_ids_an_event_names_are_its_actor_user_subject_and_data_accounts():
    events = [
        event("user:8", actor_id=7),
        event("transaction:5", {"fromAccountId": "3", "toAccountId": "4", "amount": 100}),
        event("account:6"),
        event("email:invalid", {"userId": "9"}),
    ]
    assert referenced_ids(events) == ({7, 8, 9}, {3, 4, 6})


def test_a_transfer_names_its_accounts_owners_and_the_amount_in_its_currency():
    data = {"fromAccountId": "3", "toAccountId": "4", "amount": 1250, "currency": "USD"}
    line = line_of(event("transaction:5", data, actor_id=7), ACCOUNTS, PEOPLE)
    assert line.actor == BOB
    assert (line.subject_person, line.subject_text) == (None, "Transaction 5")
    assert line.facts == [
        Fact("From", "Account 3 (Main, Bob Example)"),
        Fact("To", "Account 4"),
        Fact("Amount", "12.50 USD"),
    ]


def test_a_user_subject_is_a_person_and_one_no_row_holds_is_still_a_person():
    assert line_of(event("user:7"), ACCOUNTS, PEOPLE).subject_person == BOB
    gone = line_of(event("user:8", {"userId": "8"}), ACCOUNTS, PEOPLE)
    assert gone.subject_person == GONE and not GONE.known
    assert gone.facts == [Fact("User", "", GONE)]
    assert gone.actor is None


def test_an_amount_without_a_currency_stays_as_logged():
    line = line_of(event("product:2", {"sku": "MUG", "price": 1250}), ACCOUNTS, PEOPLE)
    assert line.subject_text == "Product 2"
    assert line.facts == [Fact("SKU", "MUG"), Fact("Price", "1250")]


@pytest.mark.parametrize(
    ("subject", "text"),
    [
        ("email:invalid", "Not an email address"),
        ("email:who@example.com", "who@example.com (no member)"),
        ("account:3", "Account 3 (Main, Bob Example)"),
        ("order:12", "Order 12"),
        ("odd", "Odd"),
    ],
)
def test_other_subjects_read_as_words(subject, text):
    assert line_of(event(subject), ACCOUNTS, PEOPLE).subject_text == text
