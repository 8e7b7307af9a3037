"""`LedgerService.preview_transfer` and `transfer_once`: the transfer page asks first, names the
recipient, and sends once per confirmation key; every line names its other side."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from tests.support.clients import PASSWORD
from webapp.core.errors import IdempotencyKeyReused, InsufficientFunds, NotFound
from webapp.infra.extensions import db
from webapp.models import Account, IdempotencyKey, LedgerTransaction
from webapp.services.auth import AuthService
from webapp.services.principal import Principal
from webapp.services.users.registration import RegistrationService
from webapp.services.wallet.accounts import AccountService
from webapp.services.wallet.ledger import LedgerService, TransferRequest
from webapp.services.wallet.lines import Counterparty

pytestmark = pytest.mark.usefixtures("app_context")


@dataclass(frozen=True)
class Pair:
    sender: Principal
    source: int
    target: int


@pytest.fixture
def pair(member_principal: Principal, admin_principal: Principal) -> Pair:
    """member@example.com holds 100.00 USD in Main; Bob Example's Main is empty."""
    bob = RegistrationService().register(
        email="bob@example.com", password=PASSWORD, name="Bob Example"
    )
    source = AccountService().all_of(member_principal.user_id)[0].id
    target = AccountService().all_of(bob.id)[0].id
    LedgerService().deposit(admin_principal, source, amount=100_00)
    return Pair(AuthService().acting_as(member_principal.user_id), source, target)


def state(pair: Pair) -> tuple[int, int, int, int]:
    """Transactions, stored keys and both balances, read fresh."""
    db.session.rollback()
    return (
        db.session.scalar(select(func.count(LedgerTransaction.id))),
        db.session.scalar(select(func.count(IdempotencyKey.id))),
        db.session.get(Account, pair.source).balance,
        db.session.get(Account, pair.target).balance,
    )


def send(pair: Pair, key: str, amount: int = 12_50):
    wanted = TransferRequest(pair.source, pair.target, amount, "Lunch")
    return LedgerService().transfer_once(pair.sender, key=key, wanted=wanted)


def test_the_preview_names_the_recipient_and_moves_nothing(pair):
    before = state(pair)
    preview = LedgerService().preview_transfer(
        pair.sender, TransferRequest(pair.source, pair.target, 12_50)
    )
    assert preview.recipient == Counterparty("Bob Example", "bob@example.com")
    assert (preview.source.id, preview.target.id, preview.amount) == (
        pair.source,
        pair.target,
        12_50,
    )
    assert state(pair) == before == (1, 0, 100_00, 0)


@pytest.mark.parametrize(
    ("amount", "swap", "refusal"),
    [(100_01, False, InsufficientFunds), (1_00, True, NotFound)],
)
def test_the_preview_refuses_what_the_transfer_would(pair, amount, swap, refusal):
    source, target = (pair.target, pair.source) if swap else (pair.source, pair.target)
    with pytest.raises(refusal):
        LedgerService().preview_transfer(pair.sender, TransferRequest(source, target, amount))
    assert state(pair) == (1, 0, 100_00, 0)


def test_a_confirmation_sent_twice_moves_the_money_once(pair):
    first, again = send(pair, "confirm-1"), send(pair, "confirm-1")
    assert (first.replayed, again.replayed) == (False, True)
    assert first.transaction.id == again.transaction.id
    assert first.recipient == again.recipient == Counterparty("Bob Example", "bob@example.com")
    assert state(pair) == (2, 1, 87_50, 12_50)


def test_a_key_sent_again_with_another_amount_is_refused_and_moves_nothing(pair):
    send(pair, "confirm-1")
    with pytest.raises(IdempotencyKeyReused):
        send(pair, "confirm-1", amount=50_00)
    assert state(pair) == (2, 1, 87_50, 12_50)


def test_each_side_of_a_transfer_names_the_other_member(pair):
    send(pair, "confirm-1")
    sent = LedgerService().history(pair.sender, pair.source, limit=10).page.items
    assert [(line.other_side, line.counterparty) for line in sent] == [
        ("Sent to Bob Example", Counterparty("Bob Example", "bob@example.com")),
        ("Deposit", None),
    ]
    bob = AuthService().acting_as(db.session.get(Account, pair.target).user_id)
    received = LedgerService().history(bob, pair.target, limit=10).page.items
    assert [(line.other_side, line.counterparty) for line in received] == [
        ("Received from Member", Counterparty("Member", "member@example.com")),
    ]
