"""Demo data for development: members, an admin, balances, transfers, products, an order,
payment requests waiting.

Everything goes through the services, so the demo's ledger is as real as any other.
The seeder only ever touches what it created: each demo user is marked by a
`demo.user_seeded` event in the transaction that creates them, and an account that has a
demo email without that mark (someone registered it first) is left exactly as it is —
never promoted, credited or spent from.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from webapp.models import User
from webapp.models.account import MAIN_ACCOUNT_NAME
from webapp.models.user import ROLE_ADMIN
from webapp.services.auth import AuthService
from webapp.services.events import DomainEvent, subject
from webapp.services.payment_requests import PaymentRequestService
from webapp.services.shop.catalog import CatalogService
from webapp.services.shop.orders import LineRequest, OrderService
from webapp.services.unit_of_work import UnitOfWork, transaction
from webapp.services.users.directory import UserDirectory
from webapp.services.users.registration import RegistrationService
from webapp.services.wallet.accounts import AccountService
from webapp.services.wallet.ledger import LedgerService

DEMO_USER_SEEDED = "demo.user_seeded"
DEMO_MEMBERS = (
    ("alice@example.com", "Alice Andersen"),
    ("bob@example.com", "Bob Brennan"),
    ("carol@example.com", "Carol Castillo"),
)
DEMO_ADMIN = ("admin@example.com", "Ada Admin")
WELCOME_CREDIT = 100_00  # minor units: 100.00 USD for each demo member
DEMO_PRODUCTS = (  # (sku, name, description, price, stock)
    ("MUG-01", "Tally mug", "A sturdy mug that holds exactly 350 ml.", 12_00, 40),
    ("TEE-01", "Tally T-shirt", "Organic cotton, printed with the ledger's first line.", 25_00, 25),
    ("PEN-01", "Fountain pen", "For signing off the books.", 18_50, 10),
    ("NB-01", "Notebook", "Squared paper, 120 pages, for double-entry by hand.", 6_50, 60),
    ("STK-01", "Sticker pack", "Ten stickers. Balance not included.", 3_00, 200),
)
DEMO_ORDER = ("alice@example.com", (("MUG-01", 1), ("NB-01", 2)))  # placed once
DEMO_TRANSFERS = (  # (from, to, amount, memo), made once, right after the welcome credits
    ("alice@example.com", "bob@example.com", 12_50, "Lunch"),
    ("bob@example.com", "carol@example.com", 5_00, "Coffee"),
    ("carol@example.com", "alice@example.com", 20_00, "Concert ticket"),
)
DEMO_REQUESTS = (  # (requester, payer, amount, memo), asked once and left pending
    ("bob@example.com", "alice@example.com", 8_00, "Cinema tickets"),
    ("carol@example.com", "bob@example.com", 4_50, "Half the taxi"),
)
STEPS = len(DEMO_MEMBERS) + 6


@dataclass(frozen=True)
class DemoUser:
    user: User
    created: bool


class DemoService:
    def seed(self, password: str) -> Iterator[str]:
        """Create what is missing of the demo, one progress line per step."""
        ours: dict[str, User] = {}
        created: list[str] = []
        for step, (email, name) in enumerate(DEMO_MEMBERS, start=1):
            state = self._ensure_user(email, name, password, admin=False, ours=ours)
            if state == "created":
                created.append(email)
            yield f"[{step}/{STEPS}] member {email}: {state}"
        step = len(DEMO_MEMBERS) + 1
        email, name = DEMO_ADMIN
        yield f"[{step}/{STEPS}] admin {email}: " + self._ensure_user(
            email, name, password, admin=True, ours=ours
        )
        admin = ours.get(email)
        if admin is None:
            yield f"[{step + 1}/{STEPS}] no demo admin: credits, products and orders skipped"
            return

        acting_admin = AuthService().acting_as(admin.id)
        mains = {e: self._main_account_id(ours[e]) for e, _ in DEMO_MEMBERS if e in ours}
        ledger = LedgerService()
        for email in created:
            ledger.deposit(acting_admin, mains[email], amount=WELCOME_CREDIT, memo="Welcome credit")
        yield f"[{step + 1}/{STEPS}] welcome credits: {len(created)} deposited"

        made = 0
        for sender, recipient, amount, memo in DEMO_TRANSFERS:
            if sender in created and recipient in created:
                ledger.transfer(
                    AuthService().acting_as(ours[sender].id),
                    from_account_id=mains[sender],
                    to_account_id=mains[recipient],
                    amount=amount,
                    memo=memo,
                )
                made += 1
        yield f"[{step + 2}/{STEPS}] demo transfers: {made} made"

        catalog = CatalogService()
        existing = {p.sku for p in catalog.list_all(limit=100).items}
        added = 0
        for sku, title, description, price, stock in DEMO_PRODUCTS:
            if sku not in existing:
                catalog.create(
                    acting_admin,
                    sku=sku,
                    name=title,
                    description=description,
                    price=price,
                    stock=stock,
                )
                added += 1
        yield f"[{step + 3}/{STEPS}] products: {added} added"

        buyer_email, lines = DEMO_ORDER
        placed = 0
        if buyer_email in created:
            buyer = AuthService().acting_as(ours[buyer_email].id)
            by_sku = {p.sku: p.id for p in catalog.list_all(limit=100).items}
            OrderService().place(
                buyer,
                account_id=mains[buyer_email],
                lines=[LineRequest(by_sku[sku], quantity) for sku, quantity in lines],
            )
            placed = 1
        yield f"[{step + 4}/{STEPS}] demo orders: {placed} placed"

        asked = 0
        for requester, payer, amount, memo in DEMO_REQUESTS:
            if requester in created and payer in created:
                PaymentRequestService().create(
                    AuthService().acting_as(ours[requester].id),
                    payer_email=payer,
                    amount=amount,
                    memo=memo,
                )
                asked += 1
        yield f"[{step + 5}/{STEPS}] demo payment requests: {asked} asked"

    def is_demo_user(self, user_id: int) -> bool:
        with UnitOfWork() as uow:
            return uow.events.exists(DEMO_USER_SEEDED, subject("user", user_id))

    def _ensure_user(
        self, email: str, name: str, password: str, *, admin: bool, ours: dict[str, User]
    ) -> str:
        existing = UserDirectory().find_by_email(email)
        if existing is None:
            ours[email] = self._create_user(email, name, password, admin=admin)
            return "created"
        if not self.is_demo_user(existing.id):
            return "exists but was not made by seed-demo: left alone"
        ours[email] = existing
        return "already there"

    @staticmethod
    def _create_user(email: str, name: str, password: str, *, admin: bool) -> User:
        """Register the user, their role and the demo's mark in one transaction."""

        def work(uow: UnitOfWork) -> User:
            user = RegistrationService().register(email=email, password=password, name=name)
            if admin:
                user = uow.users.find_by_id(user.id) or user
                uow.users.add_role(user, ROLE_ADMIN)
                uow.emit(
                    DomainEvent("user.updated", subject("user", user.id), {"roles": user.roles})
                )
            uow.emit(DomainEvent(DEMO_USER_SEEDED, subject("user", user.id), {"admin": admin}))
            return user

        return transaction(work)

    @staticmethod
    def _main_account_id(user: User) -> int:
        accounts = AccountService().all_of(user.id)
        return next(a.id for a in accounts if a.name == MAIN_ACCOUNT_NAME)
