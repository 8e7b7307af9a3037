"""An admin's view of a member's account security on /admin/users/<id>: whether the email is
verified and a second factor is on, resetting that factor; the member's personal access
tokens by name (never their value) and revoking one."""

from __future__ import annotations

import pytest

from tests.support.access_tokens import make_token, pat
from tests.support.audit_log import events
from tests.support.clients import PASSWORD, bearer
from tests.support.mfa import Clock, fixed_clock, sent_mails, turn_on_api
from tests.support.pages import browser, confirmation_page, flashes, soup, table_rows
from webapp.services.users.registration import RegistrationService

EMAIL = "member@example.com"
ADMIN_EMAIL = "admin@example.com"


@pytest.fixture
def clock(monkeypatch) -> Clock:
    return fixed_clock(monkeypatch)


@pytest.fixture
def member_id(app) -> int:
    with app.app_context():
        return RegistrationService().register(email=EMAIL, password=PASSWORD, name="Member").id


@pytest.fixture
def admin_page(app, make_admin, member_id):
    make_admin(ADMIN_EMAIL)
    return browser(app, ADMIN_EMAIL)


def facts(page) -> dict[str, str]:
    profile = soup(page.get(page.member_url)).select_one("dl.profile")
    return {
        dt.get_text(strip=True): dt.find_next_sibling("dd").get_text(strip=True)
        for dt in profile.select("dt")
    }


@pytest.fixture
def member_page(admin_page, member_id):
    admin_page.member_url = f"/admin/users/{member_id}"
    return admin_page


def reset_button(page):
    """The member page's "Reset second factor" button: a link to its confirmation."""
    return soup(page.get(page.member_url)).select_one(
        f'a[href^="{page.member_url}/mfa/reset/confirm"]'
    )


def test_the_member_page_says_whether_the_email_is_verified_and_a_factor_is_on(
    member_page, login, clock
):
    assert facts(member_page)["Email verified"] == "No"
    assert facts(member_page)["Second factor"] == "Off"
    assert reset_button(member_page) is None
    turn_on_api(member_page.application.test_client(), bearer(login(EMAIL)), clock)
    assert facts(member_page)["Second factor"] == "On"
    assert reset_button(member_page) is not None


def test_an_admin_resets_a_members_second_factor_and_the_member_is_told(
    app, member_page, member_id, login, clock
):
    turn_on_api(app.test_client(), bearer(login(EMAIL)), clock)
    mails_before = len(sent_mails(app))
    response = member_page.post(
        f"/admin/users/{member_id}/mfa/reset?next={member_page.member_url}", follow_redirects=True
    )
    assert response.status_code == 200
    assert flashes(soup(response)) == [
        f"The second factor of Member ({EMAIL}) is off; they were mailed about it."
    ]
    assert facts(member_page)["Second factor"] == "Off"
    # The member logs in with the password alone again, and is mailed about it.
    assert (
        app.test_client()
        .post("/api/v1/auth/login", json={"email": EMAIL, "password": PASSWORD})
        .status_code
        == 200
    )
    mails = sent_mails(app)[mails_before:]
    assert [mail.to for mail in mails] == [[EMAIL]]
    [disabled] = events(app, "user.mfa_disabled")
    assert disabled.subject == f"user:{member_id}"


def test_resetting_a_factor_asks_first_naming_the_member_and_the_asking_changes_nothing(
    app, member_page, member_id, login, clock
):
    turn_on_api(app.test_client(), bearer(login(EMAIL)), clock)
    mails_before = len(sent_mails(app))
    asked = confirmation_page(member_page, reset_button(member_page)["href"])
    assert asked.heading == "Reset the second factor of Member?"
    assert f"Name Member Email {EMAIL}" in asked.text
    assert asked.action == f"{member_page.member_url}/mfa/reset?next={member_page.member_url}"
    assert asked.back == member_page.member_url
    assert facts(member_page)["Second factor"] == "On"
    assert events(app, "user.mfa_disabled") == []
    assert len(sent_mails(app)) == mails_before
    member_page.post(asked.action)
    assert facts(member_page)["Second factor"] == "Off"


def test_resetting_a_factor_that_is_off_changes_nothing_and_says_so(app, member_page, member_id):
    response = member_page.post(f"/admin/users/{member_id}/mfa/reset", follow_redirects=True)
    assert any(message.startswith("Nothing changed.") for message in flashes(soup(response)))
    assert events(app, "user.mfa_disabled") == []


def test_an_admins_factor_has_no_reset_button_and_a_forged_post_changes_nothing(
    app, admin_page, make_admin, login, clock
):
    other_id = make_admin("other-admin@example.com")
    turn_on_api(app.test_client(), bearer(login("other-admin@example.com")), clock)
    admin_page.member_url = f"/admin/users/{other_id}"
    assert facts(admin_page)["Second factor"] == "On"
    assert reset_button(admin_page) is None
    mails_before = len(sent_mails(app))
    response = admin_page.post(f"/admin/users/{other_id}/mfa/reset", follow_redirects=True)
    assert any(message.startswith("Nothing changed.") for message in flashes(soup(response)))
    assert facts(admin_page)["Second factor"] == "On"
    assert events(app, "user.mfa_disabled") == []
    assert len(sent_mails(app)) == mails_before


def test_a_member_cannot_reset_anyones_factor(app, member_id, make_admin):
    admin_id = make_admin(ADMIN_EMAIL)
    page = browser(app, EMAIL)
    response = page.post(f"/admin/users/{admin_id}/mfa/reset")
    assert response.status_code in (403, 404)
    assert events(app, "user.mfa_disabled") == []


def token_rows(page) -> list[list[str]]:
    return table_rows(soup(page.get(page.member_url)), "table.user-tokens")


def test_an_admin_sees_a_members_token_names_never_their_values(app, member_page, login):
    headers = bearer(login(EMAIL))
    client = app.test_client()
    made = make_token(client, headers, scopes=("read", "write"), name="nightly export")
    page = member_page.get(member_page.member_url).get_data(as_text=True)
    assert made["token"] not in page
    [row] = token_rows(member_page)
    assert row[:2] == ["nightly export", "read, write"]
    assert row[4] == "Never"


def test_an_admin_revokes_a_members_token_and_it_stops_working(app, member_page, member_id, login):
    client = app.test_client()
    made = make_token(client, bearer(login(EMAIL)), name="ci")
    assert client.get("/api/v1/users/me", headers=pat(made)).status_code == 200
    response = member_page.post(
        f"/admin/users/{member_id}/tokens/{made['id']}/revoke?next={member_page.member_url}",
        follow_redirects=True,
    )
    assert flashes(soup(response)) == [f"Token {made['id']} of Member ({EMAIL}) is revoked."]
    assert client.get("/api/v1/users/me", headers=pat(made)).status_code == 401
    assert token_rows(member_page) == []
    [revoked] = events(app, "user.token_revoked")
    assert revoked.subject == f"user:{member_id}"
    assert made["token"] not in str(revoked.data)


def test_revoking_a_members_token_asks_first_naming_the_member_and_the_token(
    app, member_page, member_id, login
):
    client = app.test_client()
    made = make_token(client, bearer(login(EMAIL)), name="ci")
    link = soup(member_page.get(member_page.member_url)).select_one("table.user-tokens a.button")
    asked = confirmation_page(member_page, link["href"])
    assert asked.heading == "Revoke the token “ci” of Member?"
    assert f"Name Member Email {EMAIL} Name ci" in asked.text
    revoke = f"{member_page.member_url}/tokens/{made['id']}/revoke"
    assert asked.action == f"{revoke}?next={member_page.member_url}"
    assert client.get("/api/v1/users/me", headers=pat(made)).status_code == 200
    assert events(app, "user.token_revoked") == []


def test_the_confirmation_of_another_members_token_through_this_member_is_the_404_page(
    app, member_page, login
):
    with app.app_context():
        RegistrationService().register(email="o@example.com", password=PASSWORD, name="O")
    theirs = make_token(app.test_client(), bearer(login("o@example.com")))
    url = f"{member_page.member_url}/tokens/{theirs['id']}/revoke/confirm"
    assert member_page.get(url).status_code == 404


def test_revoking_another_members_token_through_this_member_changes_nothing(
    app, member_page, make_admin, login
):
    client = app.test_client()
    with app.app_context():
        other_id = (
            RegistrationService().register(email="o@example.com", password=PASSWORD, name="O").id
        )
    theirs = make_token(client, bearer(login("o@example.com")))
    mine_url = member_page.member_url
    response = member_page.post(
        f"{mine_url}/tokens/{theirs['id']}/revoke?next={mine_url}", follow_redirects=True
    )
    assert any(message.startswith("Nothing changed.") for message in flashes(soup(response)))
    assert client.get("/api/v1/users/me", headers=pat(theirs)).status_code == 200
    assert other_id != int(mine_url.rsplit("/", 1)[1])
