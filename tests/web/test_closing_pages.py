"""Closing an account in the browser: /settings links to /settings/close, the page that is its
own confirmation step; a stale login goes through /confirm-password and back; money left is
named with links; after it the member is logged out on the landing page, and the admin pages
show the account as Closed with nothing to reactivate."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from tests.support.clients import PASSWORD, bearer
from tests.support.pages import browser, field_errors, flashes, form_errors, soup
from tests.support.step_up import age_logins
from webapp.infra.extensions import db
from webapp.models import User

EMAIL = "member@example.com"
CLOSE = "/settings/close"
CONFIRM = "/confirm-password"


@pytest.fixture
def page(app, register):
    register(EMAIL, "Member")
    return browser(app)


def member(app) -> User | None:
    with app.app_context():
        return db.session.scalar(select(User).where(User.name == "Member"))


def closed_rows(app) -> list[User]:
    with app.app_context():
        return list(db.session.scalars(select(User).where(User.closed_at.is_not(None))))


def test_settings_ends_with_a_link_to_the_close_page(page):
    settings = soup(page.get("/settings"))
    last = settings.select("main section.card")[-1]
    assert last.h2.get_text(strip=True) == "Close my account"
    assert last.find("a", href=CLOSE)


def test_the_page_says_what_happens_and_asks_for_the_password(page):
    response = page.get(CLOSE)
    assert response.status_code == 200
    shown = soup(response)
    text = shown.get_text(" ", strip=True)
    assert "cannot be undone" in text and "money history is never rewritten" in text
    form = shown.find("form", action=CLOSE)
    assert form.find("input", type="password", attrs={"name": "password"})
    assert form.find("button", string="Close my account for good")
    assert form.find("a", href="/settings")
    assert shown.select_one("#accounts-holding-money") is None


def test_closing_logs_out_and_lands_on_the_landing_page(app, page):
    response = page.post(CLOSE, data={"password": PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    landing = soup(page.get("/"))
    assert flashes(landing) == [
        "Your account is closed and you are logged out. Thank you for using Tally."
    ]
    assert page.get("/settings").headers["Location"].startswith("/login")
    assert member(app) is None and len(closed_rows(app)) == 1
    login = page.post("/login", data={"email": EMAIL, "password": PASSWORD})
    assert login.status_code == 200 and "Invalid email or password." in login.get_data(as_text=True)


def test_a_wrong_password_is_refused_on_its_field(app, page):
    response = page.post(CLOSE, data={"password": "not it"})
    assert response.status_code == 200
    assert field_errors(soup(response), "password") == ["The current password is incorrect."]
    assert closed_rows(app) == []


def test_a_stale_login_goes_through_confirm_password_and_back(app, page):
    age_logins(app)
    response = page.post(CLOSE, data={"password": PASSWORD})
    parts = urlsplit(response.headers["Location"])
    assert (parts.path, parse_qs(parts.query)) == (CONFIRM, {"next": [CLOSE]})
    assert closed_rows(app) == []
    back = page.post(f"{CONFIRM}?next={CLOSE}", data={"password": PASSWORD})
    assert back.headers["Location"] == CLOSE
    assert page.get(CLOSE).status_code == 200
    assert page.post(CLOSE, data={"password": PASSWORD}).headers["Location"] == "/"
    assert len(closed_rows(app)) == 1


def test_money_left_is_named_with_links_and_nothing_closes(app, client, page, make_admin, login):
    make_admin()
    admin = bearer(login("admin@example.com"))
    headers = bearer(login(EMAIL))
    main = client.get("/api/v1/accounts", headers=headers).get_json()["data"][0]["id"]
    client.post(f"/api/v1/accounts/{main}/deposits", json={"amount": 3_00}, headers=admin)
    shown = soup(page.get(CLOSE))
    box = shown.select_one("#accounts-holding-money")
    assert box.find("a", href=f"/accounts/{main}")
    assert "3.00" in box.get_text()
    response = page.post(CLOSE, data={"password": PASSWORD})
    assert response.status_code == 200
    refused = soup(response)
    assert form_errors(refused) == [
        "Move the money out of your accounts first: an account that holds money stays open."
    ]
    assert refused.select_one("#accounts-holding-money").find("a", href=f"/accounts/{main}")
    assert closed_rows(app) == []


def test_the_admin_pages_show_closed_with_no_reactivate(app, client, page, make_admin):
    make_admin()
    page.post(CLOSE, data={"password": PASSWORD})
    [closed] = closed_rows(app)
    admin = browser(app, "admin@example.com")
    listing = soup(admin.get("/admin/users"))
    row = next(
        tr for tr in listing.select("table.admin-users tbody tr") if tr.td.string == str(closed.id)
    )
    assert row.select_one('td[data-label="Status"]').get_text(strip=True) == "Closed"
    assert "Reactivate" not in row.get_text()
    detail = soup(admin.get(f"/admin/users/{closed.id}"))
    assert detail.select_one(".page-head .status").get_text(strip=True) == "Closed"
    assert "Inactive" not in detail.get_text() and "Deactivated" not in detail.get_text()
    assert detail.find("button", string="Reactivate") is None
    assert detail.find("button", string="Deposit") is None
    assert detail.find("button", string="Save roles") is None
    refused = admin.post(f"/admin/users/{closed.id}/reactivate", follow_redirects=True)
    assert flashes(soup(refused)) == ["Nothing changed. A closed account stays closed."]
    with app.app_context():
        assert not db.session.get(User, closed.id).is_active
