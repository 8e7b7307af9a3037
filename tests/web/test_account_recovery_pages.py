"""The account-recovery pages: /forgot-password, /reset-password/<token>,
/verify-email/<token>, and what /settings shows and sends about the email address."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.support.audit_log import events
from tests.support.clients import PASSWORD
from tests.support.mfa import sent_mails
from tests.support.pages import browser, field_errors, flashes, form_errors, soup
from webapp.services.password_reset import RESET_REQUESTED
from webapp.web.account_recovery import PASSWORD_RESET, VERIFIED

EMAIL = "member@example.com"
NEW_PASSWORD = "a brand new passphrase"
TOKEN_IN = {
    "verify": re.compile(r"/verify-email/([A-Za-z0-9_-]+)"),
    "reset": re.compile(r"/reset-password/([A-Za-z0-9_-]+)"),
}


def mailed_token(app, kind: str) -> str:
    for mail in reversed(sent_mails(app)):
        if found := TOKEN_IN[kind].search(mail.body):
            return found.group(1)
    raise AssertionError(f"no {kind} mail")


@pytest.fixture
def registered_member(register) -> dict[str, Any]:
    return register(EMAIL)


def reset_token(app, client) -> str:
    client.post("/forgot-password", data={"email": EMAIL})
    return mailed_token(app, "reset")


def new_password(client, token: str, password: str = NEW_PASSWORD, confirm: str | None = None):
    data = {"new_password": password, "confirm": password if confirm is None else confirm}
    return client.post(f"/reset-password/{token}", data=data)


# --- forgot password --------------------------------------------------------------------------


def test_the_login_page_links_to_the_forgot_password_page(client):
    link = soup(client.get("/login")).find("a", string="Forgot your password?")
    page = client.get(link["href"])
    assert page.status_code == 200
    form = soup(page).select_one("form")
    assert form.select_one("label[for=email]") and form.select_one("input[name=email]")


@pytest.mark.parametrize("email", [EMAIL, "nobody@example.com"])
def test_forgot_password_answers_alike_for_any_email(app, client, registered_member, email):
    response = client.post("/forgot-password", data={"email": email}, follow_redirects=True)
    assert response.status_code == 200
    assert flashes(soup(response)) == [RESET_REQUESTED]
    resets = [m for m in sent_mails(app) if m.subject == "Reset your Tally password"]
    assert len(resets) == (1 if email == EMAIL else 0)


@pytest.mark.parametrize("email", ["", "not an email", "a" * 255 + "@example.com"])
def test_forgot_password_shows_a_field_error_for_a_bad_address(app, client, email):
    page = soup(client.post("/forgot-password", data={"email": email}))
    assert field_errors(page, "email")
    assert events(app, "user.password_reset_requested") == []


def test_forgot_password_is_limited_to_five_an_hour(client):
    for _ in range(5):
        assert client.post("/forgot-password", data={"email": EMAIL}).status_code == 302
    assert client.post("/forgot-password", data={"email": EMAIL}).status_code == 429
    assert client.get("/forgot-password").status_code == 200  # showing the form is not limited


# --- reset password ---------------------------------------------------------------------------


def test_a_reset_link_shows_a_form_and_sets_the_password(app, client, registered_member):
    token = reset_token(app, client)
    page = soup(client.get(f"/reset-password/{token}"))
    assert page.select_one("label[for=new_password]") and page.select_one("label[for=confirm]")
    done = new_password(client, token)
    assert done.status_code == 302 and done.headers["Location"].endswith("/login")
    assert flashes(soup(client.get("/login"))) == [PASSWORD_RESET]
    browser(app, password=NEW_PASSWORD)
    assert client.post("/login", data={"email": EMAIL, "password": PASSWORD}).status_code == 200


def test_a_reset_logs_the_browser_that_made_it_out(app, registered_member):
    client = browser(app)
    assert client.get("/settings").status_code == 200
    token = reset_token(app, client)
    other = browser(app)
    assert new_password(client, token).status_code == 302
    for each in (client, other):
        response = each.get("/settings")
        assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize(
    ("password", "confirm", "field"),
    [
        ("short", None, "new_password"),
        ("password123", None, "new_password"),
        (NEW_PASSWORD, "something else", "confirm"),
        ("", None, "new_password"),
    ],
)
def test_a_bad_new_password_is_a_field_error_and_the_link_still_works(
    app, client, registered_member, password, confirm, field
):
    token = reset_token(app, client)
    page = soup(new_password(client, token, password, confirm))
    assert field_errors(page, field)
    assert page.select_one("input[name=new_password]")  # the form again, not the dead link
    assert new_password(client, token).status_code == 302


@pytest.mark.parametrize("token", ["unknown", "A" * 43, "x" * 500, "%C3%A4%E2%9C%93"])
def test_a_dead_reset_link_says_so_and_offers_a_new_one(client, registered_member, token):
    page = soup(client.get(f"/reset-password/{token}"))
    assert page.select_one("#link-dead")
    assert page.find("a", string="Ask for a new link")["href"] == "/forgot-password"
    assert not page.select_one("input[name=new_password]")
    posted = soup(new_password(client, token))
    assert posted.select_one("#link-dead")


def test_a_used_reset_link_is_dead(app, client, registered_member):
    token = reset_token(app, client)
    new_password(client, token)
    assert soup(client.get(f"/reset-password/{token}")).select_one("#link-dead")
    assert soup(new_password(client, token, PASSWORD)).select_one("#link-dead")
    assert len(events(app, "user.password_reset")) == 1


# --- verify email -----------------------------------------------------------------------------


def test_a_verification_link_asks_for_a_click_and_verifies_on_post(app, registered_member):
    client = browser(app)
    token = mailed_token(app, "verify")
    for _ in range(2):  # a scanner's GETs spend nothing
        page = soup(client.get(f"/verify-email/{token}"))
        assert (
            page.select_one("#verify-form button").get_text(strip=True) == "Verify my email address"
        )
    assert soup(client.get("/settings")).select_one("#email-unverified")
    done = client.post(f"/verify-email/{token}", follow_redirects=True)
    assert flashes(soup(done)) == [VERIFIED]
    settings = soup(client.get("/settings"))
    assert settings.select_one("#email-verified")
    assert not settings.find("button", string="Send a new link")
    assert soup(client.post(f"/verify-email/{token}")).select_one("#link-dead")


def test_a_dead_verification_link_says_so(client):
    page = soup(client.get("/verify-email/not-a-token"))
    assert page.select_one("#link-dead") and not page.select_one("#verify-form button")


# --- settings -----------------------------------------------------------------------------------


def test_settings_send_a_new_verification_link(app, registered_member):
    client = browser(app)
    old = mailed_token(app, "verify")
    page = soup(client.get("/settings"))
    button = page.find("button", string="Send a new link")
    assert button.find_parent("form")["action"] == "/settings/verify-email"
    response = client.post("/settings/verify-email", follow_redirects=True)
    assert flashes(soup(response))[0].startswith("We sent a new link")
    new = mailed_token(app, "verify")
    assert new != old
    assert soup(client.get(f"/verify-email/{old}")).select_one("#link-dead")
    client.post(f"/verify-email/{new}", follow_redirects=True)
    again = client.post("/settings/verify-email", follow_redirects=True)
    assert flashes(soup(again)) == ["Your email address is already verified."]


def test_settings_link_to_the_security_pages(app, registered_member):
    page = soup(browser(app).get("/settings"))
    hrefs = {a["href"] for a in page.select("#security a")}
    assert "/settings/security" in hrefs
    assert ("/settings/tokens" in hrefs) == ("web.settings_tokens" in app.view_functions)


def test_the_resend_button_needs_a_login(client):
    response = client.post("/settings/verify-email")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert form_errors(soup(client.get("/login"))) == []
