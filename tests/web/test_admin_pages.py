"""The admin pages: the dashboard, the user list and each user's page, and the audit log.

What an action changes is read back through the API and the events table; who may is
checked for every page and every action."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import insert, update

from tests.support.audit_log import events
from tests.support.clients import PASSWORD, bearer
from tests.support.pages import (
    all_field_errors,
    browser,
    confirm_url_of,
    confirmation_page,
    flashes,
    soup,
    table_rows,
)
from webapp.core.money import NOT_AN_AMOUNT
from webapp.infra.extensions import db
from webapp.infra.metrics import observed_totals
from webapp.models import Event, LedgerTransaction, Order
from webapp.models.user import ROLES
from webapp.services.users.administration import UserAdminService
from webapp.services.users.directory import UserDirectory
from webapp.services.users.registration import RegistrationService

EMAIL = "member@example.com"
OTHER_EMAIL = "other@example.com"
ADMIN_EMAIL = "admin@example.com"
DASH = "\N{EN DASH}"
TIMES = "\N{MULTIPLICATION SIGN}"  # between quantity and name in item summaries


def data(response, status: int = 200) -> Any:
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json()["data"]


@pytest.fixture
def people(client, register, login, make_admin) -> dict[str, Any]:
    """A member, another member and an admin: their ids and bearer headers."""
    member = register(EMAIL, "Member")
    other = register(OTHER_EMAIL, "Other")
    admin_id = make_admin(ADMIN_EMAIL)
    return {
        "member": member["id"],
        "other": other["id"],
        "admin": str(admin_id),
        "headers": {
            "admin": bearer(login(ADMIN_EMAIL)),
            "member": bearer(login(EMAIL)),
            "other": bearer(login(OTHER_EMAIL)),
        },
    }


@pytest.fixture
def admin_browser(app, people) -> FlaskClient:
    return browser(app, ADMIN_EMAIL)


@pytest.fixture
def member_browser(app, people) -> FlaskClient:
    return browser(app, EMAIL)


def api_user(client: FlaskClient, people, user_id: str) -> dict[str, Any]:
    return data(client.get(f"/api/v1/users/{user_id}", headers=people["headers"]["admin"]))


def main_account(client: FlaskClient, people, who: str) -> dict[str, Any]:
    return data(client.get("/api/v1/accounts", headers=people["headers"][who]))[0]


def deposit(client: FlaskClient, people, who: str, amount: int = 100_00) -> str:
    account = main_account(client, people, who)["id"]
    url = f"/api/v1/accounts/{account}/deposits"
    data(client.post(url, json={"amount": amount}, headers=people["headers"]["admin"]), 201)
    return account


def transfer(client: FlaskClient, people, source: str, target: str, amount: int) -> None:
    body = {"fromAccountId": source, "toAccountId": target, "amount": amount}
    headers = people["headers"]["member"]
    data(client.post("/api/v1/transfers", json=body, headers=headers), 201)


def product(client: FlaskClient, people, **fields: Any) -> dict[str, Any]:
    body = {"sku": "MUG", "name": "Mug", "price": 12_50, "stock": 100, **fields}
    headers = people["headers"]["admin"]
    return data(client.post("/api/v1/products", json=body, headers=headers), 201)


def order(client: FlaskClient, people, account: str, *lines: tuple[str, int]) -> str:
    body = {"accountId": account, "items": [{"productId": p, "quantity": q} for p, q in lines]}
    headers = people["headers"]["member"]
    return data(client.post("/api/v1/orders", json=body, headers=headers), 201)["id"]


def event_ids(app: Flask) -> list[int]:
    return [event.id for event in events(app)]


def add_members(app: Flask, count: int, start: int = 0) -> None:
    """More members, straight through the service (no rate limit on registrations)."""
    with app.app_context():
        for n in range(start, start + count):
            RegistrationService().register(
                email=f"user{n:03d}@example.com", password=PASSWORD, name=f"U{n}"
            )


def facts(page, selector: str) -> dict[str, str]:
    """A <dl>'s terms and their descriptions."""
    listing = page.select_one(selector)
    return {
        dt.get_text(" ", strip=True): dd.get_text(" ", strip=True)
        for dt, dd in zip(listing.find_all("dt"), listing.find_all("dd"), strict=True)
    }


# --- who may --------------------------------------------------------------------------------

ADMIN_PAGES = ["/admin", "/admin/users", "/admin/users/{member}", "/admin/events"]
ADMIN_ACTIONS = [
    "/admin/users/{member}/roles",
    "/admin/users/{member}/deactivate",
    "/admin/users/{member}/reactivate",
    "/admin/users/{member}/sessions/revoke",
    "/admin/users/{member}/deposit",
]


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_every_admin_page_renders_for_an_admin(admin_browser, people, path):
    response = admin_browser.get(path.format(**people))
    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]
    page = soup(response)
    assert page.select_one("nav.subnav a[aria-current=page]") is not None


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_a_member_gets_the_403_page_in_the_sites_layout(member_browser, people, path):
    response = member_browser.get(path.format(**people))
    assert response.status_code == 403
    page = soup(response)
    assert page.select_one(".error-status").string == "403"
    assert page.select_one("header nav a.brand")
    assert page.select_one("nav.subnav") is None
    assert OTHER_EMAIL not in response.get_data(as_text=True)


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_an_anonymous_visitor_is_sent_to_login(app, people, path):
    response = app.test_client().get(path.format(**people))
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


@pytest.mark.parametrize("path", ADMIN_ACTIONS)
def test_a_member_or_a_visitor_cannot_act(app, client, member_browser, people, path):
    url = path.format(**people)
    form = {"roles": ["user", "admin"], "account": "1", "amount": "5.00"}
    assert member_browser.post(url, data=form).status_code == 403
    anonymous = app.test_client().post(url, data=form)
    assert anonymous.status_code == 302
    assert anonymous.headers["Location"].startswith("/login")
    assert api_user(client, people, people["member"])["roles"] == ["user"]
    assert api_user(client, people, people["member"])["isActive"] is True
    assert main_account(client, people, "member")["balance"] == 0
    assert len(events(app, "user.updated")) == 1  # the admin's promotion
    assert events(app, "user.sessions_revoked") == []
    assert events(app, "deposit.completed") == []


# --- one admin navigation -------------------------------------------------------------------


def test_the_top_bar_has_one_admin_entry_and_admin_pages_a_section_nav(admin_browser):
    top = soup(admin_browser.get("/dashboard")).select_one("header nav.nav")
    admin_links = [a for a in top.find_all("a") if a["href"].startswith("/admin")]
    assert [(a["href"], a.string) for a in admin_links] == [("/admin", "Admin")]
    page = soup(admin_browser.get("/admin/users"))
    section = page.select_one("header nav.subnav")
    assert section["aria-label"] == "Admin"
    assert [(a["href"], a.string) for a in section.find_all("a")] == [
        ("/admin", "Dashboard"),
        ("/admin/users", "Users"),
        ("/admin/events", "Events"),
        ("/admin/products", "Products"),
        ("/admin/orders", "Orders"),
    ]
    assert section.select_one("a[aria-current=page]").string == "Users"
    assert page.select_one("header nav.nav a[href='/admin']")["aria-current"] == "true"


@pytest.mark.parametrize(
    ("path", "current"),
    [("/admin/products", "Products"), ("/admin/orders", "Orders"), ("/admin/events", "Events")],
)
def test_the_section_nav_marks_the_page_it_is_on(admin_browser, path, current):
    section = soup(admin_browser.get(path)).select_one("nav.subnav")
    assert section.select_one("a[aria-current=page]").string == current


def test_a_member_sees_no_admin_link(member_browser):
    page = soup(member_browser.get("/dashboard"))
    assert page.select("header a[href^='/admin']") == []
    assert page.select_one("nav.subnav") is None


# --- the dashboard --------------------------------------------------------------------------


def stat_cards(admin_browser: FlaskClient) -> dict[str, str]:
    return facts(soup(admin_browser.get("/admin")), "dl.stat-cards")


def test_the_stat_cards_hold_the_systems_figures(app, admin_browser, client, people):
    source = deposit(client, people, "member", 100_00)
    target = main_account(client, people, "other")["id"]
    transfer(client, people, source, target, 10_00)
    mug = product(client, people)["id"]
    order(client, people, source, (mug, 2))
    cancelled = order(client, people, source, (mug, 1))
    client.post(f"/api/v1/orders/{cancelled}/cancel", headers=people["headers"]["member"])
    with app.app_context():
        admin = UserDirectory().find_by_email(ADMIN_EMAIL)
        member = UserDirectory().find_by_email(OTHER_EMAIL)
        UserAdminService().update_by_admin(admin.id, member.id, is_active=False)
    cards = stat_cards(admin_browser)
    hit_rate = cards.pop("Cache hit rate")
    assert cards == {
        "Members": "3",
        "Active": "2",
        "Accounts": "3",
        # 100.00 in, 25.00 paid for the order kept (the cancelled one was refunded).
        "Money held": "75.00 USD",
        "Orders": "2",
        "Revenue": "25.00 USD",
        "Transfers in 24 h": "1",
        # The process's count, as /metrics has it: other tests in this process add to it.
        "Rate-limited requests": str(observed_totals().rate_limited),
    }
    assert hit_rate.endswith(tuple("0123456789")) and "hits" in hit_rate


def test_money_is_shown_per_currency(app, admin_browser, client, people):
    deposit(client, people, "member", 12_50)
    headers = people["headers"]["other"]
    euros = data(
        client.post("/api/v1/accounts", json={"name": "Euros", "currency": "EUR"}, headers=headers),
        201,
    )
    url = f"/api/v1/accounts/{euros['id']}/deposits"
    data(client.post(url, json={"amount": 3_05}, headers=people["headers"]["admin"]), 201)
    page = soup(admin_browser.get("/admin"))
    held = page.find("dt", string="Money held").find_next_sibling("dd")
    assert [line.get_text(strip=True) for line in held.select(".amount-line")] == [
        "3.05 EUR",
        "12.50 USD",
    ]


def chart_days(page) -> list[tuple[str, int, int]]:
    """Each day group of the SVG chart: its day and the values of its two bars."""
    return [
        (
            group["data-day"],
            int(group.select_one("rect.bar-orders")["data-value"]),
            int(group.select_one("rect.bar-transfers")["data-value"]),
        )
        for group in page.select("svg.bar-chart g.day")
    ]


def backdate(app: Flask, days: int, *, order_id: str | None = None, transfers: bool = False):
    """Move an order, or the transfers, `days` into the past."""
    when = datetime.now(UTC) - timedelta(days=days)
    with app.app_context(), db.engine.begin() as connection:
        if order_id is not None:
            connection.execute(
                update(Order).where(Order.id == int(order_id)).values(created_at=when)
            )
        if transfers:
            connection.execute(
                update(LedgerTransaction)
                .where(LedgerTransaction.type == "transfer")
                .values(created_at=when)
            )


def test_the_chart_has_a_group_of_two_bars_for_each_of_14_days_even_empty_ones(
    app, admin_browser, client, people
):
    source = deposit(client, people, "member", 100_00)
    target = main_account(client, people, "other")["id"]
    mug = product(client, people, price=1_00)["id"]
    old = order(client, people, source, (mug, 1))
    order(client, people, source, (mug, 1))
    order(client, people, source, (mug, 1))
    transfer(client, people, source, target, 1_00)
    backdate(app, 3, order_id=old, transfers=True)
    page = soup(admin_browser.get("/admin"))
    today = datetime.now(UTC).date()
    fortnight = [(today - timedelta(days=back)).isoformat() for back in range(13, -1, -1)]
    expected = [(day, 0, 0) for day in fortnight]
    expected[10] = (fortnight[10], 1, 1)
    expected[13] = (fortnight[13], 2, 0)
    assert chart_days(page) == expected
    for group in page.select("svg.bar-chart g.day"):
        assert len(group.find_all("rect")) == 2
        assert group.find("text", class_="day-label").string == group["data-day"][5:]
    empty = page.select("svg.bar-chart g.day")[0]
    assert [rect["height"] for rect in empty.find_all("rect")] == ["0.0", "0.0"]
    heights = [float(r["height"]) for r in page.select("svg.bar-chart g.day")[13].find_all("rect")]
    assert heights[0] > 0 and heights[1] == 0
    # Today's two orders are the highest bar; the day with one of each is half as tall.
    halves = [float(r["height"]) for r in page.select("svg.bar-chart g.day")[10].find_all("rect")]
    assert halves == [heights[0] / 2, heights[0] / 2]


def test_the_chart_is_described_for_screen_readers_by_a_table_of_the_same_numbers(
    admin_browser, client, people
):
    source = deposit(client, people, "member", 100_00)
    transfer(client, people, source, main_account(client, people, "other")["id"], 1_00)
    page = soup(admin_browser.get("/admin"))
    svg = page.select_one("svg.bar-chart")
    assert svg["role"] == "img"
    title = page.find(id=svg["aria-labelledby"])
    assert title.name == "title" and title.parent is svg
    assert "1 transfers" in page.find(id=svg["aria-describedby"]).get_text()
    rows = table_rows(page, "table.activity-table")
    assert len(rows) == 14
    assert [(day, int(o), int(t)) for day, o, t in rows] == chart_days(page)
    assert page.select_one("table.activity-table caption").get_text(strip=True)
    assert [c.get_text(strip=True) for c in page.select("table.activity-table tfoot td")] == [
        "0",
        "1",
    ]


# --- the user list --------------------------------------------------------------------------


def user_rows(page) -> list[list[str]]:
    """Each user row: id, name, email, status (the roles and actions columns left out)."""
    return [row[:4] for row in table_rows(page, "table.admin-users")]


def result_count(page) -> str:
    return page.select_one(".result-count").get_text(" ", strip=True)


def page_links(page) -> list[str]:
    return [a.get_text(strip=True) for a in page.select("nav.pager a")]


def test_the_user_list_shows_every_user_with_roles_and_actions(admin_browser, people):
    response = admin_browser.get("/admin/users")
    page = soup(response)
    assert user_rows(page) == [
        [people["member"], "Member", EMAIL, "Active"],
        [people["other"], "Other", OTHER_EMAIL, "Active"],
        [people["admin"], "Admin (you)", ADMIN_EMAIL, "Active"],
    ]
    assert result_count(page) == f"1{DASH}3 of 3"
    assert page.select("nav.pager") == []
    member_row = page.select("table.admin-users tbody tr")[0]
    checked = [box["value"] for box in member_row.select("input[name=roles][checked]")]
    assert checked == ["user"]
    boxes = member_row.select("input[name=roles]")
    assert [box["value"] for box in boxes] == list(ROLES)
    for box in boxes:
        assert page.find("label").parent is not None
        assert box.find_parent("label") is not None
    actions = [form["action"].split("?")[0] for form in member_row.find_all("form")]
    assert actions == [f"/admin/users/{people['member']}/roles"]
    confirmations = [link["href"].split("?")[0] for link in member_row.select("a.button")]
    assert confirmations == [
        f"/admin/users/{people['member']}/deactivate/confirm",
        f"/admin/users/{people['member']}/sessions/revoke/confirm",
    ]
    link = member_row.find("a", href=f"/admin/users/{people['member']}")
    assert link.string == "Member"
    for name in ("q", "role"):
        control = page.find(attrs={"name": name})
        assert page.find("label", attrs={"for": control["id"]}), name


def test_the_role_filter_offers_every_role_and_any(admin_browser):
    options = soup(admin_browser.get("/admin/users")).select("select[name=role] option")
    assert [o["value"] for o in options] == ["", *ROLES]
    assert options[0].string == "Any"


@pytest.mark.parametrize(
    ("query", "emails"),
    [
        ("q=other", [OTHER_EMAIL]),
        ("q=MEMBER", [EMAIL]),
        ("q=Admin", [ADMIN_EMAIL]),
        ("role=admin", [ADMIN_EMAIL]),
        ("role=user", [EMAIL, OTHER_EMAIL, ADMIN_EMAIL]),
        ("q=example.com&role=admin", [ADMIN_EMAIL]),
    ],
)
def test_the_user_list_searches_email_or_name_and_filters_by_role(admin_browser, query, emails):
    page = soup(admin_browser.get(f"/admin/users?{query}"))
    assert [row[2] for row in user_rows(page)] == emails
    assert result_count(page) == f"1{DASH}{len(emails)} of {len(emails)}"


def test_a_search_that_matches_nobody_says_so_with_no_table_and_no_pages(admin_browser):
    page = soup(admin_browser.get("/admin/users?q=nobody-at-all"))
    assert result_count(page) == "No users match."
    assert page.select("table.admin-users") == []
    assert page.select("nav.pager") == []
    assert page.find("input", attrs={"name": "q"})["value"] == "nobody-at-all"


def test_one_matching_user_is_one_of_one(admin_browser):
    page = soup(admin_browser.get("/admin/users?role=admin"))
    assert result_count(page) == f"1{DASH}1 of 1"
    assert len(user_rows(page)) == 1
    assert page.select("nav.pager") == []


def test_45_users_are_three_numbered_pages_with_their_totals(app, admin_browser, people):
    add_members(app, 42)
    first = soup(admin_browser.get("/admin/users"))
    assert result_count(first) == f"1{DASH}20 of 45"
    assert len(user_rows(first)) == 20
    assert page_links(first) == ["1", "2", "3", "Next"]
    assert first.select_one("nav.pager a[aria-current=page]").string == "1"
    second = soup(admin_browser.get("/admin/users?page=2"))
    assert result_count(second) == f"21{DASH}40 of 45"
    assert page_links(second) == ["Previous", "1", "2", "3", "Next"]
    last = soup(admin_browser.get("/admin/users?page=3"))
    assert result_count(last) == f"41{DASH}45 of 45"
    assert len(user_rows(last)) == 5
    assert page_links(last) == ["Previous", "1", "2", "3"]
    assert last.select_one("a[rel=prev]")["href"] == "/admin/users?page=2"
    ids = [int(row[0]) for p in (first, second, last) for row in user_rows(p)]
    assert ids == sorted(ids) and len(set(ids)) == 45


def test_the_page_links_keep_the_search_and_role(app, admin_browser, people):
    add_members(app, 25)
    page = soup(admin_browser.get("/admin/users?q=user0&role=user"))
    assert result_count(page) == f"1{DASH}20 of 25"
    assert page.select_one("a[rel=next]")["href"] == "/admin/users?page=2&q=user0&role=user"


def test_many_pages_show_the_first_the_last_and_the_ones_near(app, admin_browser, people):
    add_members(app, 197)  # 200 users: 10 pages
    page = soup(admin_browser.get("/admin/users?page=5"))
    assert result_count(page) == f"81{DASH}100 of 200"
    assert page_links(page) == ["Previous", "1", "3", "4", "5", "6", "7", "10", "Next"]
    assert len(page.select("nav.pager .gap")) == 2


def test_a_page_past_the_last_is_empty_but_keeps_the_total(admin_browser):
    page = soup(admin_browser.get("/admin/users?page=9"))
    assert result_count(page) == "No users on page 9: 3 in all."
    assert page.select("table.admin-users") == []
    assert "1" in page_links(page)


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("role=owner", "role", "Not a valid choice."),
        ("page=0", "page", "Number must be at least 1."),
        ("page=abc", "page", "Not a valid integer value."),
    ],
)
def test_a_bad_filter_is_shown_on_its_field(admin_browser, query, field, message):
    response = admin_browser.get(f"/admin/users?{query}")
    assert response.status_code == 200
    page = soup(response)
    assert all_field_errors(page) == {field: [message]}
    assert page.select("table.admin-users") == []


# --- actions on users -----------------------------------------------------------------------


def action_url(page, user_id: str, action: str) -> str:
    """The action address a form on `page` posts to, or its confirmation page's form does
    (with its `next`)."""
    prefix = f"/admin/users/{user_id}/{action}"
    form = page.find("form", action=lambda a: a and a.startswith(prefix))
    if form is not None:
        return form["action"]
    confirm = page.find("a", href=lambda h: h and h.startswith(f"{prefix}/confirm"))
    path, _, query = confirm["href"].partition("?")
    return f"{path.removesuffix('/confirm')}?{query}" if query else path.removesuffix("/confirm")


def latest_event(app: Flask, event_type: str) -> Event:
    found = events(app, event_type)
    assert found, f"no {event_type} event"
    return found[-1]


def test_granting_a_role_changes_the_roles_writes_the_event_and_comes_back(
    app, admin_browser, client, people
):
    page = soup(admin_browser.get("/admin/users?q=member&page=1"))
    url = action_url(page, people["member"], "roles")
    response = admin_browser.post(url, data={"roles": ["user", "admin"]})
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/users?q=member&page=1"
    after = soup(admin_browser.get(response.headers["Location"]))
    assert flashes(after) == [f"Member ({EMAIL}) now has the roles: admin, user."]
    assert api_user(client, people, people["member"])["roles"] == ["admin", "user"]
    event = latest_event(app, "user.updated")
    assert (event.subject, event.actor_id) == (f"user:{people['member']}", int(people["admin"]))
    assert event.data == {"roles": {"from": ["user"], "to": ["admin", "user"]}}
    assert event.request_id


def test_taking_a_role_away_applies_to_the_members_next_request(app, client, people):
    promote = browser(app, ADMIN_EMAIL)
    promote.post(f"/admin/users/{people['member']}/roles", data={"roles": ["user", "admin"]})
    member = browser(app, EMAIL)
    assert member.get("/admin").status_code == 200
    promote.post(f"/admin/users/{people['member']}/roles", data={"roles": ["user"]})
    assert member.get("/admin").status_code == 403
    assert api_user(client, people, people["member"])["roles"] == ["user"]


def test_a_role_set_without_the_user_role_is_refused_and_changes_nothing(
    app, admin_browser, client, people
):
    before = event_ids(app)
    response = admin_browser.post(
        f"/admin/users/{people['member']}/roles", data={"roles": ["admin"]}
    )
    assert response.headers["Location"] == "/admin/users"
    assert flashes(soup(admin_browser.get("/admin/users"))) == [
        "Nothing changed. The roles must include 'user'."
    ]
    assert api_user(client, people, people["member"])["roles"] == ["user"]
    assert event_ids(app) == before


def test_an_unknown_role_is_refused(app, admin_browser, client, people):
    response = admin_browser.post(
        f"/admin/users/{people['member']}/roles", data={"roles": ["user", "owner"]}
    )
    assert response.status_code == 302
    message = flashes(soup(admin_browser.get("/admin/users")))
    assert message == ["Nothing changed. 'owner' is not a valid choice for this field."]
    assert api_user(client, people, people["member"])["roles"] == ["user"]


def test_deactivating_ends_the_members_sessions_and_reactivating_lets_them_back(
    app, admin_browser, client, people
):
    member = browser(app, EMAIL)
    assert member.get("/settings").status_code == 200
    page = soup(admin_browser.get("/admin/users?page=1"))
    response = admin_browser.post(action_url(page, people["member"], "deactivate"))
    assert response.headers["Location"] == "/admin/users?page=1"
    after = soup(admin_browser.get("/admin/users?page=1"))
    assert flashes(after) == [f"Member ({EMAIL}) is deactivated; every session is ended."]
    assert user_rows(after)[0] == [people["member"], "Member", EMAIL, "Deactivated"]
    assert api_user(client, people, people["member"])["isActive"] is False
    assert member.get("/settings").status_code == 302
    event = latest_event(app, "user.updated")
    assert event.subject == f"user:{people['member']}"
    assert event.data["isActive"] == {"from": True, "to": False}
    assert event.actor_id == int(people["admin"])

    row = after.select("table.admin-users tbody tr")[0]
    assert [b.string for b in row.select("form button, a.button")] == [
        "Save roles",
        "Reactivate",
        "Revoke sessions",
    ]
    response = admin_browser.post(action_url(after, people["member"], "reactivate"))
    assert flashes(soup(admin_browser.get(response.headers["Location"]))) == [
        f"Member ({EMAIL}) is active again."
    ]
    assert api_user(client, people, people["member"])["isActive"] is True
    assert latest_event(app, "user.updated").data == {"isActive": {"from": False, "to": True}}
    assert browser(app, EMAIL).get("/settings").status_code == 200


@pytest.mark.parametrize(
    ("label", "action", "heading"),
    [
        ("Deactivate", "deactivate", "Deactivate Member?"),
        ("Revoke sessions", "sessions/revoke", "End every session of Member?"),
    ],
)
def test_an_account_action_asks_first_naming_the_member_and_the_asking_changes_nothing(
    app, admin_browser, client, people, label, action, heading
):
    member = browser(app, EMAIL)
    before = event_ids(app)
    member_url = f"/admin/users/{people['member']}"
    url = confirm_url_of(soup(admin_browser.get(member_url)), label)
    assert url == f"{member_url}/{action}/confirm?next={member_url}"
    asked = confirmation_page(admin_browser, url)
    assert asked.heading == heading
    assert f"Name Member Email {EMAIL}" in asked.text
    assert (asked.action, asked.back) == (f"{member_url}/{action}?next={member_url}", member_url)
    assert event_ids(app) == before
    assert member.get("/settings").status_code == 200
    assert api_user(client, people, people["member"])["isActive"] is True

    assert admin_browser.post(asked.action).headers["Location"] == member_url
    assert member.get("/settings").status_code == 302


def test_an_account_confirmation_is_403_for_a_member_and_404_for_an_unknown_user(
    app, member_browser, admin_browser, people
):
    url = f"/admin/users/{people['other']}/deactivate/confirm"
    assert member_browser.get(url).status_code == 403
    assert admin_browser.get("/admin/users/999999/deactivate/confirm").status_code == 404


def test_revoking_sessions_logs_the_member_out_everywhere(app, admin_browser, client, people):
    member = browser(app, EMAIL)
    headers = people["headers"]["member"]
    assert client.get("/api/v1/users/me", headers=headers).status_code == 200
    page = soup(admin_browser.get(f"/admin/users/{people['member']}"))
    response = admin_browser.post(action_url(page, people["member"], "sessions/revoke"))
    assert response.headers["Location"] == f"/admin/users/{people['member']}"
    after = soup(admin_browser.get(response.headers["Location"]))
    assert flashes(after) == [f"Every session of Member ({EMAIL}) is ended."]
    assert after.select("table.user-sessions") == []
    assert member.get("/settings").status_code == 302
    assert client.get("/api/v1/users/me", headers=headers).status_code == 401
    event = latest_event(app, "user.sessions_revoked")
    assert (event.subject, event.actor_id) == (f"user:{people['member']}", int(people["admin"]))
    assert event.data["sessions"] >= 2
    assert api_user(client, people, people["member"])["isActive"] is True


@pytest.mark.parametrize(
    "next_url", ["https://evil.example/admin/users", "//evil.example", "/\\evil.example"]
)
def test_an_action_never_redirects_off_the_site(admin_browser, people, next_url):
    url = f"/admin/users/{people['member']}/sessions/revoke"
    response = admin_browser.post(url, query_string={"next": next_url})
    assert response.headers["Location"] == "/admin/users"


def test_acting_on_an_unknown_user_is_the_404_page(admin_browser):
    for action in ("roles", "deactivate", "reactivate", "sessions/revoke", "deposit"):
        response = admin_browser.post(f"/admin/users/999999/{action}", data={"roles": ["user"]})
        assert response.status_code == 404, action
    assert admin_browser.get("/admin/users/999999").status_code == 404


# --- an admin cannot lock themselves out -----------------------------------------------------


@pytest.mark.parametrize(
    ("action", "form", "message"),
    [
        ("roles", {"roles": ["user"]}, "Nothing changed. You cannot lock yourself out."),
        ("deactivate", {}, "Nothing changed. You cannot lock yourself out."),
    ],
)
def test_an_admin_cannot_demote_or_deactivate_themselves(
    app, admin_browser, client, people, action, form, message
):
    before = event_ids(app)
    response = admin_browser.post(
        f"/admin/users/{people['admin']}/{action}?next=/admin/users?role%3Dadmin", data=form
    )
    assert response.headers["Location"] == "/admin/users?role=admin"
    page = soup(admin_browser.get(response.headers["Location"]))
    assert flashes(page) == [message]
    assert page.select_one(".flash").get("class") == ["flash", "flash-error"]
    me = api_user(client, people, people["admin"])
    assert (me["roles"], me["isActive"]) == (["admin", "user"], True)
    assert event_ids(app) == before
    assert admin_browser.get("/admin").status_code == 200


# --- the page of one user -------------------------------------------------------------------


def test_a_users_page_shows_profile_accounts_orders_sessions_and_events(
    app, admin_browser, client, people
):
    source = deposit(client, people, "member", 50_00)
    mug = product(client, people)["id"]
    cup = product(client, people, sku="CUP", name="Cup", price=3_00)["id"]
    first = order(client, people, source, (mug, 2))
    second = order(client, people, source, (cup, 1), (mug, 1))
    response = admin_browser.get(f"/admin/users/{people['member']}")
    page = soup(response)
    assert page.h1.string == "Member"
    profile = facts(page, "dl.profile")
    assert {k: profile[k] for k in ("Id", "Email", "Status", "Roles")} == {
        "Id": people["member"],
        "Email": EMAIL,
        "Status": "Active",
        "Roles": "user",
    }
    assert table_rows(page, "table.user-accounts") == [["Main", source, "USD", "9.50 USD"]]
    orders = [[row[0], row[2], row[3], row[4]] for row in table_rows(page, "table.user-orders")]
    assert orders == [
        [f"Order {second}", "Paid", f"1 {TIMES} Cup, 1 {TIMES} Mug", "15.50 USD"],
        [f"Order {first}", "Paid", f"2 {TIMES} Mug", "25.00 USD"],
    ]
    sessions = table_rows(page, "table.user-sessions")
    assert [row[0] for row in sessions] == ["API tokens"]
    kinds = [row[1] for row in table_rows(page, "table.user-events")]
    assert kinds[:2] == ["order.placed", "order.placed"]
    assert {"user.login", "user.created"} <= set(kinds)
    subjects = set(event_subjects(page, "table.user-events"))
    assert {f"order:{first}", f"order:{second}", f"user:{people['member']}"} <= subjects
    shown = {row[3] for row in table_rows(page, "table.user-events")}
    assert {f"Order {first}", f"Order {second}", f"Member {EMAIL}"} <= shown
    deposit_form = page.find("form", action=f"/admin/users/{people['member']}/deposit")
    for name in ("account", "amount", "memo"):
        control = deposit_form.find(attrs={"name": name})
        assert deposit_form.find("label", attrs={"for": control["id"]}), name
    options = deposit_form.select("select[name=account] option")
    assert [(o["value"], o.get_text(strip=True)) for o in options] == [(source, "Main — 9.50 USD")]


def test_depositing_from_a_users_page_credits_the_account_and_writes_the_event(
    app, admin_browser, client, people
):
    account = main_account(client, people, "member")["id"]
    url = f"/admin/users/{people['member']}/deposit"
    response = admin_browser.post(
        url, data={"account": account, "amount": " 12.50 ", "memo": "Gift"}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == f"/admin/users/{people['member']}"
    page = soup(admin_browser.get(response.headers["Location"]))
    assert flashes(page) == [f"Deposited 12.50 USD to Main (account {account})."]
    assert table_rows(page, "table.user-accounts")[0][3] == "12.50 USD"
    assert main_account(client, people, "member")["balance"] == 12_50
    event = latest_event(app, "deposit.completed")
    assert event.actor_id == int(people["admin"])
    assert (event.data["accountId"], event.data["amount"]) == (account, 12_50)


def test_a_deposit_is_read_in_the_accounts_currency(app, admin_browser, client, people):
    headers = people["headers"]["member"]
    body = {"name": "Yen", "currency": "JPY"}
    yen = data(client.post("/api/v1/accounts", json=body, headers=headers), 201)["id"]
    url = f"/admin/users/{people['member']}/deposit"
    assert admin_browser.post(url, data={"account": yen, "amount": "1200"}).status_code == 302
    balances = {
        a["id"]: a["balance"] for a in data(client.get("/api/v1/accounts", headers=headers))
    }
    assert balances[yen] == 1200
    page = soup(admin_browser.post(url, data={"account": yen, "amount": "12.5"}))
    assert all_field_errors(page) == {"amount": ["The amount has more than 0 decimal places."]}


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("12,5", NOT_AN_AMOUNT),
        ("1.2e1", NOT_AN_AMOUNT),
        ("-5", NOT_AN_AMOUNT),
        ("12.505", "The amount has more than 2 decimal places."),
        ("0", "Enter an amount between 0.01 USD and 10000000000.00 USD."),
        ("", "This field is required."),
    ],
)
def test_a_bad_deposit_amount_is_shown_on_its_field_and_credits_nothing(
    app, admin_browser, client, people, amount, message
):
    account = main_account(client, people, "member")["id"]
    url = f"/admin/users/{people['member']}/deposit"
    response = admin_browser.post(url, data={"account": account, "amount": amount})
    assert response.status_code == 200
    page = soup(response)
    assert all_field_errors(page) == {"amount": [message]}
    assert page.find("input", attrs={"name": "amount"})["aria-invalid"] == "true"
    assert main_account(client, people, "member")["balance"] == 0
    assert events(app, "deposit.completed") == []


def test_a_deposit_only_goes_to_the_users_own_accounts(app, admin_browser, client, people):
    others = main_account(client, people, "other")["id"]
    url = f"/admin/users/{people['member']}/deposit"
    page = soup(admin_browser.post(url, data={"account": others, "amount": "5"}))
    assert all_field_errors(page) == {"account": ["Not a valid choice."]}
    assert main_account(client, people, "other")["balance"] == 0


# --- CSRF -----------------------------------------------------------------------------------


@pytest.fixture
def csrf_admin(app, people) -> FlaskClient:
    """An admin's browser on the app with CSRF protection on, as in every other config."""
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    token = csrf_token(soup(client.get("/login")))
    form = {"email": ADMIN_EMAIL, "password": PASSWORD, "csrf_token": token}
    assert client.post("/login", data=form).status_code == 302
    return client


def csrf_token(page) -> str:
    return page.find("input", attrs={"name": "csrf_token"})["value"]


@pytest.mark.parametrize("path", ADMIN_ACTIONS)
def test_every_admin_action_without_the_csrf_token_is_refused(
    app, csrf_admin, client, people, path
):
    account = main_account(client, people, "member")["id"]
    before = event_ids(app)
    form = {"roles": ["user", "admin"], "account": account, "amount": "5.00"}
    for sent in (form, {**form, "csrf_token": "forged"}):
        response = csrf_admin.post(path.format(**people), data=sent)
        assert response.status_code == 400
        assert soup(response).select_one(".error-status").string == "400"
    member = api_user(client, people, people["member"])
    assert (member["roles"], member["isActive"]) == (["user"], True)
    assert main_account(client, people, "member")["balance"] == 0
    assert event_ids(app) == before


def test_an_admin_action_with_the_token_from_the_page_works(app, csrf_admin, client, people):
    page = soup(csrf_admin.get(f"/admin/users/{people['member']}"))
    form = page.find("form", action=f"/admin/users/{people['member']}/deposit")
    account = main_account(client, people, "member")["id"]
    sent = {"csrf_token": csrf_token(form), "account": account, "amount": "1.00"}
    assert csrf_admin.post(form["action"], data=sent).status_code == 302
    roles = action_url(page, people["member"], "roles")
    sent = {"csrf_token": csrf_token(page), "roles": ["user", "admin"]}
    assert csrf_admin.post(roles, data=sent).status_code == 302
    assert main_account(client, people, "member")["balance"] == 1_00
    assert api_user(client, people, people["member"])["roles"] == ["admin", "user"]


# --- the audit log --------------------------------------------------------------------------


def event_rows(page) -> list[list[str]]:
    return table_rows(page, "table.admin-events")


def event_subjects(page, selector: str = "table.admin-events") -> list[str]:
    """Each row's subject as the log stores it ("user:4"), which the cell carries unseen."""
    return [td["data-subject"] for td in page.select(f"{selector} tbody td.event-subject")]


def test_the_events_page_lists_the_log_newest_first_with_links_to_subjects(
    app, admin_browser, client, people
):
    source = deposit(client, people, "member", 10_00)
    mug = product(client, people)
    price = {"price": 1_00}
    client.patch(f"/api/v1/products/{mug['id']}", json=price, headers=people["headers"]["admin"])
    bought = order(client, people, source, (mug["id"], 1))
    savings = {"name": "Savings", "currency": "USD"}
    client.post("/api/v1/accounts", json=savings, headers=people["headers"]["member"])
    page = soup(admin_browser.get("/admin/events"))
    rows = event_rows(page)
    logged = list(reversed(events(app)))
    assert [row[1] for row in rows] == [e.type for e in logged]
    assert event_subjects(page) == [e.subject for e in logged]
    body = page.select("table.admin-events tbody tr")
    links = {
        subject: tr.select("td")[3].find("a")
        for subject, tr in zip(event_subjects(page), body, strict=True)
    }
    assert links[f"order:{bought}"]["href"] == f"/orders/{bought}"
    assert links[f"product:{mug['id']}"]["href"] == f"/admin/products/{mug['id']}"
    assert links[f"user:{people['member']}"]["href"] == f"/admin/users/{people['member']}"
    deposit_subject = next(e.subject for e in logged if e.type == "deposit.completed")
    assert deposit_subject.startswith("transaction:")
    assert links[deposit_subject]["href"] == f"/accounts/{source}"
    opened = next(e.subject for e in logged if e.type == "account.opened")
    assert links[opened]["href"] == f"/accounts/{opened.removeprefix('account:')}"
    assert all(link is not None for link in links.values())
    order_row = rows[[r[1] for r in rows].index("order.placed")]
    assert order_row[2] == f"Member {EMAIL}"
    assert order_row[3] == f"Order {bought}"
    assert admin_browser.get(f"/orders/{bought}").status_code == 200


def test_the_events_page_filters_by_type_offering_the_types_present(
    app, admin_browser, client, people
):
    deposit(client, people, "member")
    deposit(client, people, "other")
    page = soup(admin_browser.get("/admin/events"))
    options = [o["value"] for o in page.select("select[name=type] option")]
    present = sorted({e.type for e in events(app)})
    assert options == ["", *present]
    filtered = soup(admin_browser.get("/admin/events?type=deposit.completed"))
    assert [row[1] for row in event_rows(filtered)] == ["deposit.completed"] * 2
    selected = filtered.select_one("select[name=type] option[selected]")
    assert selected["value"] == "deposit.completed"


def test_the_events_page_filters_by_user_about_or_by_them(app, admin_browser, client, people):
    deposit(client, people, "other")
    page = soup(admin_browser.get(f"/admin/events?user={people['member']}"))
    member_id = int(people["member"])
    expected = [
        e
        for e in reversed(events(app))
        if e.subject == f"user:{member_id}" or e.actor_id == member_id
    ]
    rows = zip(event_rows(page), event_subjects(page), strict=True)
    shown = [(row[1], subject) for row, subject in rows]
    assert shown == [(e.type, e.subject) for e in expected]
    assert {"user.created", "user.login"} <= {row[1] for row in event_rows(page)}
    assert page.find("input", attrs={"name": "user"})["value"] == people["member"]


def event_row(page, event_type: str) -> Any:
    """The newest row of `event_type`: its cells by column."""
    row = next(
        tr
        for tr in page.select("table.admin-events tbody tr")
        if tr.select_one("code").string == event_type
    )
    return dict(
        zip(("when", "type", "by", "subject", "data", "request"), row.select("td"), strict=True)
    )


def test_the_events_page_names_people_by_name_and_email_never_by_number(
    app, admin_browser, client, people
):
    account = deposit(client, people, "member", 12_50)
    admin_browser.post(f"/admin/users/{people['other']}/roles", data={"roles": ["user", "admin"]})
    page = soup(admin_browser.get("/admin/events"))
    granted = event_row(page, "user.updated")
    assert granted["by"].get_text(" ", strip=True) == f"Admin {ADMIN_EMAIL}"
    assert granted["by"].a["href"] == f"/admin/users/{people['admin']}"
    assert granted["subject"].get_text(" ", strip=True) == f"Other {OTHER_EMAIL}"
    assert granted["subject"].a["href"] == f"/admin/users/{people['other']}"
    assert facts(granted["data"], "dl") == {"Roles": "user → admin, user"}
    deposited = event_row(page, "deposit.completed")
    assert facts(deposited["data"], "dl") == {
        "Account": f"Account {account} (Main, Member)",
        "Amount": "12.50 USD",
    }
    table = page.select_one("table.admin-events").get_text(" ")
    assert not re.search(r"\b(User|Member) \d|user:\d|\w=\"", table), table


def test_a_transfer_event_reads_from_whom_to_whom_and_how_much(app, admin_browser, client, people):
    source = deposit(client, people, "member", 10_00)
    target = main_account(client, people, "other")["id"]
    transfer(client, people, source, target, 2_50)
    moved = event_row(soup(admin_browser.get("/admin/events")), "transfer.completed")
    assert moved["by"].get_text(" ", strip=True) == f"Member {EMAIL}"
    assert facts(moved["data"], "dl") == {
        "From": f"Account {source} (Main, Member)",
        "To": f"Account {target} (Main, Other)",
        "Amount": "2.50 USD",
    }


def test_people_and_accounts_no_row_holds_are_named_by_number_not_a_500(app, admin_browser):
    with app.app_context(), db.engine.begin() as connection:
        connection.execute(
            insert(Event),
            [
                {
                    "type": "test.gone",
                    "subject": "user:9999",
                    "data": {"userId": "9998", "accountId": "9997", "amount": 5, "currency": "EUR"},
                    "created_at": datetime.now(UTC),
                }
            ],
        )
    response = admin_browser.get("/admin/events")
    assert response.status_code == 200
    gone = event_row(soup(response), "test.gone")
    assert gone["by"].get_text(strip=True) == "System"
    assert gone["subject"].get_text(strip=True) == "Member #9999 (deleted)"
    assert facts(gone["data"], "dl") == {
        "User": "Member #9998 (deleted)",
        "Account": "Account 9997",
        "Amount": "0.05 EUR",
    }


@pytest.mark.parametrize("value", ["abc", "0", "-1", "1.5"])
def test_a_bad_user_filter_is_shown_on_its_field(admin_browser, value):
    response = admin_browser.get(f"/admin/events?user={value}")
    assert response.status_code == 200
    page = soup(response)
    assert all_field_errors(page) == {"user": ["Type a user id, like 42."]}
    assert page.select("table.admin-events") == []


def test_an_unknown_type_filter_is_shown_on_its_field(admin_browser):
    page = soup(admin_browser.get("/admin/events?type=nothing.happened"))
    assert all_field_errors(page) == {"type": ["Not a valid choice."]}


def log_events(app: Flask, count: int, event_type: str = "test.noise") -> None:
    """Fill the log with `count` events, straight into the table."""
    now = datetime.now(UTC)
    rows = [
        {"type": event_type, "subject": f"thing:{n}", "data": {}, "created_at": now}
        for n in range(count)
    ]
    with app.app_context(), db.engine.begin() as connection:
        connection.execute(insert(Event), rows)


def test_older_pages_walk_the_whole_log_once_and_keep_the_filter(app, admin_browser, people):
    log_events(app, 120)
    seen: list[str] = []
    url: str | None = "/admin/events?type=test.noise"
    pages = 0
    while url:
        page = soup(admin_browser.get(url))
        seen.extend(row[3] for row in event_rows(page))
        assert all(subject.startswith("thing:") for subject in event_subjects(page))
        older = page.select_one("nav.pager a[rel=next]")
        url = older["href"] if older else None
        if url:
            assert "type=test.noise" in url and "cursor=" in url
        pages += 1
    assert pages == 3
    assert seen == [f"Thing {n}" for n in range(119, -1, -1)]
    assert page.select_one("nav.pager a").get_text(strip=True) == "Newest"


def test_a_broken_cursor_is_a_400_page(admin_browser):
    response = admin_browser.get("/admin/events?cursor=not-a-cursor")
    assert response.status_code == 400
    assert soup(response).select_one(".error-status").string == "400"


# --- a fixed number of SQL statements -------------------------------------------------------


def statements_for(count_statements: Callable[[], Any], client: FlaskClient, url: str) -> int:
    assert client.get(url).status_code == 200  # warm: the session touched, caches filled
    with count_statements() as counter:
        assert client.get(url).status_code == 200
    return counter.count


def test_the_user_list_runs_the_same_statements_for_5_or_45_users(
    app, admin_browser, people, count_statements
):
    add_members(app, 2)
    few = statements_for(count_statements, admin_browser, "/admin/users")
    add_members(app, 40, start=2)
    many = statements_for(count_statements, admin_browser, "/admin/users")
    assert many == few
    assert few <= 4
    assert statements_for(count_statements, admin_browser, "/admin/users?page=3&q=user") == few


def test_the_events_page_runs_the_same_statements_for_few_or_many_events(
    app, admin_browser, people, count_statements
):
    few = statements_for(count_statements, admin_browser, "/admin/events")
    log_events(app, 150)
    many = statements_for(count_statements, admin_browser, "/admin/events")
    assert many == few
    assert few <= 6  # the page of events, then the accounts and the people it names


def test_the_events_page_names_many_people_and_accounts_in_the_same_statements(
    app, admin_browser, client, people, count_statements
):
    add_members(app, 5)
    few = statements_for(count_statements, admin_browser, "/admin/events")
    add_members(app, 40, start=5)
    for who in ("member", "other"):
        deposit(client, people, who, 1_00)
    many = statements_for(count_statements, admin_browser, "/admin/events")
    assert many == few
    assert len(event_rows(soup(admin_browser.get("/admin/events")))) == 50


def test_a_users_page_runs_the_same_statements_however_much_they_have(
    app, admin_browser, client, people, count_statements
):
    source = deposit(client, people, "member", 1_000_00)
    mug = product(client, people, price=1_00)["id"]
    order(client, people, source, (mug, 1))
    url = f"/admin/users/{people['member']}"
    few = statements_for(count_statements, admin_browser, url)
    cup = product(client, people, sku="CUP", name="Cup", price=1_00)["id"]
    for _ in range(12):
        order(client, people, source, (mug, 1), (cup, 2))
    for _ in range(3):
        browser(app, EMAIL)
    headers = people["headers"]["member"]
    for name in ("Savings", "Travel"):
        client.post("/api/v1/accounts", json={"name": name}, headers=headers)
    for n in range(3):
        client.post("/api/v1/tokens", json={"name": f"t{n}", "scopes": ["read"]}, headers=headers)
    many = statements_for(count_statements, admin_browser, url)
    assert many == few
    # Tokens are one query whatever their number; the events' accounts and people two more.
    assert few <= 11


def test_the_dashboard_runs_the_same_statements_whatever_the_activity(
    app, admin_browser, client, people, count_statements
):
    few = statements_for(count_statements, admin_browser, "/admin")
    source = deposit(client, people, "member", 1_000_00)
    target = main_account(client, people, "other")["id"]
    mug = product(client, people, price=1_00)["id"]
    for _ in range(5):
        transfer(client, people, source, target, 1_00)
        order(client, people, source, (mug, 1))
    add_members(app, 10)
    many = statements_for(count_statements, admin_browser, "/admin")
    assert many == few


def test_the_members_sessions_name_the_browser_with_the_full_user_agent_in_its_title(
    app, admin_browser, people
):
    firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
    browser(app, EMAIL, headers={"User-Agent": firefox})
    page = soup(admin_browser.get(f"/admin/users/{people['member']}"))
    shown = [(tag.get_text(strip=True), tag["title"]) for tag in page.select(".user-agent")]
    assert ("Firefox on Linux", firefox) in shown
    assert firefox not in page.select_one("main").get_text()  # only in the title
