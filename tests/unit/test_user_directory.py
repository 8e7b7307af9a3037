"""What admins read about users: numbered pages with totals, and one user's dossier."""

from __future__ import annotations

import pytest

from tests.support.clients import PASSWORD
from webapp.core.errors import Forbidden, NotFound, ValidationError
from webapp.services.auth import AuthService, ClientInfo
from webapp.services.principal import Principal
from webapp.services.shop.catalog import CatalogService
from webapp.services.shop.orders import LineRequest, OrderService
from webapp.services.users.directory import NumberedPage, UserDirectory
from webapp.services.users.registration import RegistrationService
from webapp.services.wallet.accounts import AccountService
from webapp.services.wallet.ledger import LedgerService

pytestmark = pytest.mark.usefixtures("app_context")

CLIENT = ClientInfo(ip="127.0.0.1", user_agent="pytest")


def members(count: int) -> list[int]:
    return [
        RegistrationService()
        .register(email=f"m{n:02}@example.com", password=PASSWORD, name=f"M {n}")
        .id
        for n in range(count)
    ]


def member_page(admin_principal: Principal, **kwargs: object) -> NumberedPage:
    return UserDirectory().numbered_page(admin_principal, role="user", q="@example.com", **kwargs)  # type: ignore[arg-type]


# --- numbered pages -----------------------------------------------------------------------


def test_numbered_page_with_no_match_is_one_empty_page(admin_principal):
    page = UserDirectory().numbered_page(admin_principal, q="nobody")
    assert (page.items, page.total, page.total_pages) == ([], 0, 1)
    assert (page.first_index, page.last_index) == (0, 0)
    assert not page.has_previous and not page.has_next


def test_numbered_page_with_one_user(admin_principal):
    page = UserDirectory().numbered_page(admin_principal)  # the admin is the only user
    assert [u.id for u in page.items] == [admin_principal.user_id]
    assert (page.total, page.total_pages, page.first_index, page.last_index) == (1, 1, 1, 1)


def test_numbered_pages_of_45_users_count_and_slice_in_id_order(admin_principal):
    ids = members(44)  # with the admin, 45 users
    every_id = [admin_principal.user_id, *ids]
    pages = [
        UserDirectory().numbered_page(admin_principal, page=n, page_size=20) for n in (1, 2, 3)
    ]
    assert [p.total for p in pages] == [45, 45, 45]
    assert [p.total_pages for p in pages] == [3, 3, 3]
    assert [(p.first_index, p.last_index) for p in pages] == [(1, 20), (21, 40), (41, 45)]
    assert [u.id for p in pages for u in p.items] == every_id
    assert pages[0].has_next and not pages[0].has_previous
    assert pages[2].has_previous and not pages[2].has_next
    beyond = UserDirectory().numbered_page(admin_principal, page=4, page_size=20)
    assert (beyond.items, beyond.total, beyond.first_index) == ([], 45, 0)


def test_numbered_page_filters_by_text_and_role_and_totals_the_filtered_set(admin_principal):
    members(3)
    admins = UserDirectory().numbered_page(admin_principal, role="admin")
    assert [u.email for u in admins.items] == ["admin@example.com"] and admins.total == 1
    found = UserDirectory().numbered_page(admin_principal, q="M0", page_size=2)
    assert found.total == 3 and found.total_pages == 2
    assert [u.email for u in found.items] == ["m00@example.com", "m01@example.com"]


def test_numbered_page_refuses_bad_paging_and_members(admin_principal):
    with pytest.raises(ValidationError):
        UserDirectory().numbered_page(admin_principal, page=0)
    with pytest.raises(ValidationError):
        UserDirectory().numbered_page(admin_principal, page_size=101)
    with pytest.raises(ValidationError):
        UserDirectory().numbered_page(admin_principal, role="root")
    member = AuthService().acting_as(members(1)[0])
    with pytest.raises(Forbidden):
        UserDirectory().numbered_page(member)


def test_numbered_page_runs_the_same_statements_whatever_the_page_size(
    admin_principal, count_statements
):
    members(30)
    counts = []
    for size in (1, 10, 31):
        with count_statements() as counter:
            page = UserDirectory().numbered_page(admin_principal, page_size=size)
            assert [u.roles for u in page.items]  # roles are loaded with the page
        counts.append(counter.count)
    # count, the page, its roles (and SQLite's BEGIN)
    assert counts[0] == counts[1] == counts[2] <= 4


# --- the dossier --------------------------------------------------------------------------


def test_dossier_holds_profile_accounts_orders_sessions_tokens_and_events(
    admin_principal, count_statements
):
    alice_id = members(1)[0]
    alice = AuthService().acting_as(alice_id)
    main = AccountService().all_of(alice_id)[0]
    savings = AccountService().open(alice, name="Savings")
    LedgerService().deposit(admin_principal, main.id, amount=500_00)
    mug = CatalogService().create(admin_principal, sku="MUG", name="Mug", price=2_00, stock=100)
    placed = [
        OrderService().place(alice, account_id=main.id, lines=[LineRequest(mug.id, 1)])
        for _ in range(12)
    ]
    OrderService().cancel(admin_principal, placed[-1].id)
    AuthService().login_for_tokens("m00@example.com", PASSWORD, CLIENT)
    AuthService().login_browser("m00@example.com", PASSWORD, CLIENT)

    with count_statements() as counter:
        dossier = UserDirectory().dossier(admin_principal, alice_id)
        item_names = [item.name for order in dossier.orders for item in order.items]
    # user, roles, accounts, orders, items, sessions, events, tokens (and SQLite's BEGIN),
    # then the accounts and the people the events name
    assert counter.count <= 11

    assert dossier.user.email == "m00@example.com"
    assert [(a.name, a.balance) for a in dossier.accounts] == [
        ("Main", 500_00 - 11 * 2_00),
        ("Savings", 0),
    ]
    assert savings.id == dossier.accounts[1].id
    assert [o.id for o in dossier.orders] == [o.id for o in reversed(placed)][:10]
    assert dossier.orders[0].status == "cancelled"
    assert item_names == ["Mug"] * 10
    assert [s.kind for s in dossier.sessions] == ["browser", "api"]
    types = [line.event.type for line in dossier.events]
    assert {line.actor.email for line in dossier.events if line.actor} == {"m00@example.com"}
    assert len(types) == 16 <= 20  # created, opened, 12 orders, 2 logins (newest first)
    assert types[:2] == ["user.login", "user.login"]
    assert types[-1] == "user.created"
    # The admin's cancel of her order is about the order, not her: not in her events.
    assert "order.cancelled" not in types


def test_dossier_of_an_unknown_user_is_not_found_and_members_are_refused(admin_principal):
    with pytest.raises(NotFound):
        UserDirectory().dossier(admin_principal, 999_999)
    member = AuthService().acting_as(members(1)[0])
    with pytest.raises(Forbidden):
        UserDirectory().dossier(member, admin_principal.user_id)
