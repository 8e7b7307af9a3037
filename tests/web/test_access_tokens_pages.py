"""/settings/tokens in the browser: make a token (shown once, on the page the POST redirects
to), list, revoke; the form gets the service's rules; and a token opens no page."""

from __future__ import annotations

import re

import pytest

from tests.support.access_tokens import pat, token_rows
from tests.support.audit_log import events
from tests.support.clients import PASSWORD
from tests.support.pages import (
    browser,
    confirm_url_of,
    confirmation_page,
    field_errors,
    flashes,
    soup,
    table_rows,
)
from webapp.services.access_tokens import NAME_RULE
from webapp.services.users.registration import RegistrationService
from webapp.web import show_once

EMAIL = "member@example.com"
PAGE = "/settings/tokens"
TOKEN = re.compile(r"tly_[A-Za-z0-9_-]{43}")


@pytest.fixture
def member_id(app) -> int:
    with app.app_context():
        return RegistrationService().register(email=EMAIL, password=PASSWORD, name="Member").id


@pytest.fixture
def page(app, member_id):
    return browser(app)


def make(page, name: str = "export", scopes=("read",), days: str = "30"):
    """The page the member sees after making a token (the POST's redirect followed)."""
    data = {"name": name, "scopes": list(scopes), "expires_in_days": days}
    return page.post(PAGE, data=data, follow_redirects=True)


def shown_token(response) -> str | None:
    found = soup(response).select_one("#token-value")
    return found.get_text(strip=True) if found else None


def test_the_page_has_a_labelled_form_and_no_tokens_yet(page):
    response = page.get(PAGE)
    assert response.status_code == 200
    html = soup(response)
    assert html.select_one("label[for=name]") and html.select_one("label[for=expires_in_days]")
    assert [box["value"] for box in html.select("input[name=scopes]")] == ["read", "write"]
    assert html.select_one("input[name=expires_in_days]")["value"] == "90"
    assert "You have no personal access tokens." in html.get_text()
    assert "no-store" in response.headers["Cache-Control"]


def test_making_a_token_shows_it_once_on_the_page_the_post_redirects_to(app, client, page):
    data = {"name": "nightly export", "scopes": ["read", "write"], "expires_in_days": "30"}
    posted = page.post(PAGE, data=data)
    assert posted.status_code == 302 and posted.headers["Location"] == PAGE
    assert shown_token(posted) is None
    with page.session_transaction() as session:
        kept = str(dict(session))
    response = page.get(PAGE)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    value = shown_token(response)
    assert value and TOKEN.fullmatch(value)
    assert value not in str(posted.headers) and value not in str(response.headers)
    assert value not in kept  # not in the (signed, readable) cookie
    again = page.get(PAGE)
    assert value not in again.get_data(as_text=True)
    assert shown_token(again) is None
    rows = table_rows(soup(again), "#tokens")
    assert [row[:2] for row in rows] == [["nightly export", "read, write"]]
    assert rows[0][4] == "never"
    # It works on the API, as the member.
    me = client.get("/api/v1/users/me", headers=pat(value))
    assert me.get_json()["data"]["email"] == EMAIL
    assert "never" not in table_rows(soup(page.get(PAGE)), "#tokens")[0][4]
    assert [e.data["name"] for e in events(app, "user.token_created")] == ["nightly export"]


def test_after_making_a_token_the_form_is_empty_again(page):
    response = make(page, name="nightly export", scopes=("write",), days="7")
    assert shown_token(response)
    html = soup(response)
    assert html.select_one("input[name=name]").get("value", "") == ""
    checked = [box["value"] for box in html.select("input[name=scopes][checked]")]
    assert checked == ["read"]  # the form's default, not the scope just used
    assert html.select_one("input[name=expires_in_days]")["value"] == "90"
    assert field_errors(html, "name") == []


def test_the_new_token_is_not_shown_to_another_browser_of_the_member(app, page):
    value = shown_token(make(page))
    assert value
    assert value not in browser(app).get(PAGE).get_data(as_text=True)


def test_the_new_token_has_a_copy_button_that_needs_javascript(page):
    html = soup(make(page))
    copy = html.select_one("#new-token button[data-copy-from=token-value]")
    assert copy.has_attr("hidden") and copy["type"] == "button"
    assert html.select_one("#new-token script")["src"].startswith("/static/js/copy.js?v=")


def test_when_the_cache_cannot_hold_the_token_the_answer_shows_it(page, monkeypatch):
    def refuse(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(show_once.cache, "set", refuse)
    data = {"name": "nightly export", "scopes": ["read"], "expires_in_days": "30"}
    response = page.post(PAGE, data=data)
    assert response.status_code == 200 and TOKEN.fullmatch(shown_token(response) or "")
    assert response.headers["Cache-Control"] == "no-store"
    assert soup(response).select_one("input[name=name]").get("value", "") == ""
    assert shown_token(page.get(PAGE)) is None


def test_revoking_from_the_list_kills_the_token(app, client, page):
    value = shown_token(make(page))
    assert client.get("/api/v1/users/me", headers=pat(value)).status_code == 200
    [row] = token_rows(app)
    response = page.post(f"{PAGE}/{row.id}/revoke", follow_redirects=True)
    assert "The token is revoked: it no longer works." in flashes(soup(response))
    assert table_rows(soup(response), "#tokens") == []
    assert client.get("/api/v1/users/me", headers=pat(value)).status_code == 401
    again = page.post(f"{PAGE}/{row.id}/revoke", follow_redirects=True)
    assert "That token is already revoked or expired." in flashes(soup(again))


def test_revoking_asks_first_naming_the_token_and_the_asking_leaves_it_working(app, client, page):
    value = shown_token(make(page, name="nightly export"))
    [row] = token_rows(app)
    url = confirm_url_of(soup(page.get(PAGE)), "Revoke")
    assert url == f"{PAGE}/{row.id}/revoke/confirm"
    asked = confirmation_page(page, url)
    assert asked.heading == "Revoke the token “nightly export”?"
    assert "Name nightly export Scopes read" in asked.text
    assert (asked.action, asked.back) == (f"{PAGE}/{row.id}/revoke", PAGE)
    assert client.get("/api/v1/users/me", headers=pat(value)).status_code == 200
    page.post(asked.action)
    assert client.get("/api/v1/users/me", headers=pat(value)).status_code == 401
    assert page.get(url).status_code == 404


def test_the_revoke_confirmation_of_another_members_token_is_the_404_page(app, page):
    with app.app_context():
        RegistrationService().register(email="other@example.com", password=PASSWORD, name="Other")
    make(browser(app, "other@example.com"))
    [row] = token_rows(app)
    assert page.get(f"{PAGE}/{row.id}/revoke/confirm").status_code == 404


def test_another_members_token_cannot_be_revoked_from_the_page(app, client, page):
    with app.app_context():
        RegistrationService().register(email="other@example.com", password=PASSWORD, name="Other")
    other = browser(app, "other@example.com")
    value = shown_token(make(other))
    [row] = token_rows(app)
    response = page.post(f"{PAGE}/{row.id}/revoke", follow_redirects=True)
    assert "That token is already revoked or expired." in flashes(soup(response))
    assert client.get("/api/v1/users/me", headers=pat(value)).status_code == 200


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": "", "scopes": ["read"], "expires_in_days": "30"}, "name"),
        ({"name": "x" * 101, "scopes": ["read"], "expires_in_days": "30"}, "name"),
        ({"name": "a\x07b", "scopes": ["read"], "expires_in_days": "30"}, "name"),
        ({"name": "x", "scopes": [], "expires_in_days": "30"}, "scopes"),
        ({"name": "x", "scopes": ["admin"], "expires_in_days": "30"}, "scopes"),
        ({"name": "x", "scopes": ["read"], "expires_in_days": "0"}, "expires_in_days"),
        ({"name": "x", "scopes": ["read"], "expires_in_days": "366"}, "expires_in_days"),
        ({"name": "x", "scopes": ["read"], "expires_in_days": "1.5"}, "expires_in_days"),
        ({"name": "x", "scopes": ["read"], "expires_in_days": "ten"}, "expires_in_days"),
    ],
)
def test_bad_input_shows_on_its_field_and_makes_nothing(app, page, data, field):
    response = page.post(PAGE, data=data)
    assert response.status_code == 200
    assert field_errors(soup(response), field)
    assert shown_token(response) is None
    assert token_rows(app) == []


def test_the_form_gets_the_services_rule_where_its_syntax_check_passes(page):
    # A control character passes the form's length check; the service's rule refuses it.
    data = {"name": "a\x07b", "scopes": ["read"], "expires_in_days": "9"}
    html = soup(page.post(PAGE, data=data))
    assert field_errors(html, "name") == [NAME_RULE]
    assert field_errors(html, "expires_in_days") == []


def test_unicode_names_are_shown_as_written(page):
    make(page, name="Tägliche Sicherung 日本")
    assert table_rows(soup(page.get(PAGE)), "#tokens")[0][0] == "Tägliche Sicherung 日本"


def test_a_personal_access_token_opens_no_page(app, page):
    value = shown_token(make(page, scopes=("read", "write")))
    stranger = app.test_client()
    for url in (PAGE, "/dashboard", "/settings", "/settings/security"):
        response = stranger.get(url, headers=pat(value))
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login")
    response = stranger.post(PAGE, headers=pat(value), data={"name": "x", "scopes": ["read"]})
    assert response.status_code == 302
    assert len(token_rows(app)) == 1


def test_the_page_needs_a_login(client):
    response = client.get(PAGE)
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
