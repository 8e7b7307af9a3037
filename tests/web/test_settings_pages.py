"""/settings in the browser: profile, password, active sessions, and role-protected pages."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import select

from tests.support.clients import PASSWORD
from tests.support.pages import browser, confirmation_page, field_errors, flashes, soup
from webapp.infra.extensions import db
from webapp.models import User
from webapp.services.users.administration import UserAdminService
from webapp.services.users.directory import UserDirectory
from webapp.services.users.registration import RegistrationService
from webapp.web.session_auth import role_required

NEW_PASSWORD = "staple-lantern-orbit"
MONEY_MAIL = "/settings/money-mail"
SETTINGS_POSTS = (
    "/settings/profile",
    MONEY_MAIL,
    "/settings/password",
    "/settings/logout-everywhere",
)
EMAIL = "member@example.com"
BAD_CREDENTIALS = "Invalid email or password."


def log_in(client, email: str = EMAIL, password: str = PASSWORD, **kwargs):
    return client.post("/login", data={"email": email, "password": password}, **kwargs)


def api_token(app, email: str = EMAIL, password: str = PASSWORD) -> str:
    response = app.test_client().post(
        "/api/v1/auth/login", json={"email": email, "password": password}
    )
    assert response.status_code == 200, response.get_json()
    return response.get_json()["data"]["accessToken"]


def api_me_status(app, token: str) -> int:
    response = app.test_client().get(
        "/api/v1/users/me", headers={"Authorization": f"Bearer {token}"}
    )
    return response.status_code


def is_anonymous(client) -> bool:
    response = client.get("/settings")
    return response.status_code == 302 and response.headers["Location"].startswith("/login")


def stored_user(app, email: str = EMAIL) -> User:
    with app.app_context():
        return db.session.scalar(select(User).where(User.email == email))


def password_form(**overrides: str) -> dict[str, str]:
    values = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    values.update(overrides)
    values.setdefault("confirm", values["new_password"])
    return values


@dataclass
class SessionRow:
    kind: str
    current: bool
    text: str
    revoke_url: str
    user_agent: str | None  # the full header, kept in the title of the device's name


def device_of(tr) -> tuple[str, str] | None:
    """A session row's device as shown ("Firefox on Linux") and its full User-Agent."""
    shown = tr.select_one(".user-agent")
    return (shown.get_text(strip=True), shown["title"]) if shown else None


def session_rows(client) -> list[SessionRow]:
    response = client.get("/settings")
    assert response.status_code == 200
    rows = []
    for tr in soup(response).select("tbody tr"):
        cells = tr.find_all("td")
        confirm = tr.find("a", href=lambda href: href and href.endswith("/confirm"))
        rows.append(
            SessionRow(
                kind=cells[0].contents[0].strip(),
                current="current" in (tr.get("class") or []),
                text=tr.get_text(" ", strip=True),
                revoke_url=confirm["href"].removesuffix("/confirm"),
                user_agent=(tr.select_one(".user-agent") or {}).get("title"),
            )
        )
    return rows


@pytest.fixture
def registered_member(register):
    return register(EMAIL, "Member")


@pytest.fixture
def member_client(client, registered_member):
    """The test client, logged in as the member."""
    assert log_in(client).status_code == 302
    return client


# --- the page -----------------------------------------------------------------------------


def test_settings_shows_the_profile_the_password_form_and_the_sessions(member_client):
    response = member_client.get("/settings")
    assert response.status_code == 200
    page = soup(response)
    assert EMAIL in page.get_text()
    assert page.find("input", attrs={"name": "name"})["value"] == "Member"
    for name in ("name", "current_password", "new_password", "confirm"):
        field = page.find("input", attrs={"name": name})
        assert page.find("label", attrs={"for": field["id"]}), name
    assert page.find("form", action="/settings/profile")["method"] == "post"
    assert page.find("form", action="/settings/password")["method"] == "post"
    assert page.find("a", href="/settings/logout-everywhere/confirm").string == "Log out everywhere"
    assert "no-store" in response.headers["Cache-Control"]


def test_the_settings_endpoints_refuse_a_get(member_client):
    for path in SETTINGS_POSTS:
        assert member_client.get(path).status_code == 405, path


@pytest.mark.parametrize("path", SETTINGS_POSTS)
def test_an_anonymous_post_to_settings_goes_to_login_and_changes_nothing(
    app, registered_member, path
):
    anonymous = app.test_client()
    response = anonymous.post(path, data={"name": "Mallory", **password_form()})
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")
    user = stored_user(app)
    assert user.name == "Member"
    assert user.notify_money_received is True  # the unticked box was not taken
    assert browser(app)  # the password is unchanged


# --- profile ------------------------------------------------------------------------------


def test_renaming_saves_the_name_and_shows_it(member_client, app):
    response = member_client.post("/settings/profile", data={"name": "  Grace Hopper  "})
    assert response.status_code == 302
    assert response.headers["Location"] == "/settings"
    page = soup(member_client.get("/settings"))
    assert flashes(page) == ["Your name is saved."]
    assert page.select_one(".nav-user").get_text(strip=True) == "Grace Hopper"
    assert page.find("input", attrs={"name": "name"})["value"] == "Grace Hopper"
    assert stored_user(app).name == "Grace Hopper"


def test_a_new_name_is_served_at_once_by_the_api(member_client, app):
    token = api_token(app)
    member_client.post("/settings/profile", data={"name": "Grace Hopper"})
    response = app.test_client().get(
        "/api/v1/users/me", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.get_json()["data"]["name"] == "Grace Hopper"


def test_an_empty_name_is_refused_next_to_the_name_field(member_client, app):
    response = member_client.post("/settings/profile", data={"name": ""})
    assert response.status_code == 200
    page = soup(response)
    assert field_errors(page, "name") == ["This field is required."]
    assert page.find("input", attrs={"name": "name"})["aria-invalid"] == "true"
    assert stored_user(app).name == "Member"


def test_a_blank_name_is_refused_next_to_the_name_field(member_client, app):
    response = member_client.post("/settings/profile", data={"name": "   "})
    assert response.status_code == 200
    assert field_errors(soup(response), "name") == ["The name must be 1 to 100 characters."]
    assert stored_user(app).name == "Member"


def test_a_name_over_100_characters_is_refused(member_client, app):
    response = member_client.post("/settings/profile", data={"name": "x" * 101})
    assert response.status_code == 200
    assert field_errors(soup(response), "name") == ["The name must be 1 to 100 characters."]
    assert stored_user(app).name == "Member"


def test_a_refused_rename_still_shows_the_rest_of_the_page(member_client):
    page = soup(member_client.post("/settings/profile", data={"name": ""}))
    assert page.find("form", action="/settings/password")
    assert len(page.select("tbody tr")) == 1


# --- the money-received mail --------------------------------------------------------------


def money_mail_box(client):
    form = soup(client.get("/settings")).find("form", action=MONEY_MAIL)
    assert form["method"] == "post"
    return form.find("input", attrs={"name": "notify_money_received", "type": "checkbox"})


def api_setting(app) -> bool:
    response = app.test_client().get(
        "/api/v1/users/me", headers={"Authorization": f"Bearer {api_token(app)}"}
    )
    return response.get_json()["data"]["notifyMoneyReceived"]


def test_the_profile_has_the_money_mail_checkbox_ticked_for_a_new_member(member_client):
    page = soup(member_client.get("/settings"))
    box = money_mail_box(member_client)
    assert box.has_attr("checked")
    label = page.find("label", attrs={"for": box["id"]})
    assert label.get_text(strip=True) == "Mail me when money arrives"
    assert page.find(id=box["aria-describedby"]).get_text(strip=True).endswith(".")


def test_unticking_turns_the_mail_off_and_ticking_turns_it_on(member_client, app):
    response = member_client.post(MONEY_MAIL, data={})  # an unticked box sends nothing
    assert response.status_code == 302 and response.headers["Location"] == "/settings"
    page = soup(member_client.get("/settings"))
    assert flashes(page) == ["Mail when money arrives is now off."]
    assert not money_mail_box(member_client).has_attr("checked")
    assert stored_user(app).notify_money_received is False
    assert api_setting(app) is False

    member_client.post(MONEY_MAIL, data={"notify_money_received": "y"})
    assert flashes(soup(member_client.get("/settings"))) == ["Mail when money arrives is now on."]
    assert money_mail_box(member_client).has_attr("checked")
    assert api_setting(app) is True


def test_a_refused_rename_or_password_change_keeps_the_box_as_it_was(member_client):
    for path, data in (("/settings/profile", {"name": ""}), ("/settings/password", {})):
        page = soup(member_client.post(path, data=data))
        box = page.find("form", action=MONEY_MAIL).find("input", attrs={"type": "checkbox"})
        assert box.has_attr("checked"), path


def test_the_checkbox_shows_what_the_api_set(member_client, app):
    assert money_mail_box(member_client).has_attr("checked")  # the cached record is warm
    token = api_token(app)
    app.test_client().patch(
        "/api/v1/users/me",
        json={"notifyMoneyReceived": False},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert not money_mail_box(member_client).has_attr("checked")


# --- password -----------------------------------------------------------------------------


def test_changing_the_password_keeps_this_browser_and_ends_every_other_session(member_client, app):
    other = browser(app)
    token = api_token(app)
    assert len(session_rows(member_client)) == 3

    response = member_client.post("/settings/password", data=password_form())
    assert response.status_code == 302
    assert response.headers["Location"] == "/settings"
    page = soup(member_client.get("/settings"))
    assert flashes(page) == ["Password changed. Every other session has been logged out."]

    assert is_anonymous(other)
    assert api_me_status(app, token) == 401
    rows = session_rows(member_client)
    assert [(row.kind, row.current) for row in rows] == [("Browser", True)]


def test_after_a_password_change_only_the_new_password_logs_in(member_client, app):
    member_client.post("/settings/password", data=password_form())
    refused = log_in(app.test_client())
    assert refused.status_code == 200
    assert BAD_CREDENTIALS in refused.get_data(as_text=True)
    assert browser(app, password=NEW_PASSWORD)


def test_a_wrong_current_password_is_refused_and_nothing_ends(member_client, app):
    other = browser(app)
    token = api_token(app)
    response = member_client.post(
        "/settings/password", data=password_form(current_password="not-the-password")
    )
    assert response.status_code == 200
    assert field_errors(soup(response), "current_password") == [
        "The current password is incorrect."
    ]
    assert other.get("/settings").status_code == 200
    assert api_me_status(app, token) == 200
    assert browser(app, password=PASSWORD)


def test_a_common_new_password_is_refused_next_to_its_field(member_client, app):
    other = browser(app)
    response = member_client.post(
        "/settings/password", data=password_form(new_password="password1")
    )
    assert response.status_code == 200
    page = soup(response)
    assert field_errors(page, "new_password") == ["This password is too common. Choose another."]
    assert page.find("input", attrs={"name": "new_password"})["aria-invalid"] == "true"
    assert other.get("/settings").status_code == 200
    assert browser(app, password=PASSWORD)


def test_a_short_new_password_is_refused_next_to_its_field(member_client, app):
    response = member_client.post("/settings/password", data=password_form(new_password="Xy7#q"))
    assert response.status_code == 200
    assert field_errors(soup(response), "new_password") == [
        "The password must be 8 to 128 characters."
    ]
    assert browser(app, password=PASSWORD)


def test_a_confirmation_that_differs_is_refused_next_to_the_confirm_field(member_client, app):
    response = member_client.post(
        "/settings/password", data=password_form(confirm="staple-lantern-orbit!")
    )
    assert response.status_code == 200
    assert field_errors(soup(response), "confirm") == ["The passwords differ."]
    assert browser(app, password=PASSWORD)


def test_empty_password_fields_are_each_marked_required(member_client):
    response = member_client.post("/settings/password", data={})
    assert response.status_code == 200
    page = soup(response)
    for name in ("current_password", "new_password", "confirm"):
        assert field_errors(page, name) == ["This field is required."], name


def test_a_refused_password_change_never_echoes_a_password(member_client):
    response = member_client.post(
        "/settings/password",
        data=password_form(current_password="not-the-password", new_password="Sup3r-s3cret-X"),
    )
    text = response.get_data(as_text=True)
    for secret in ("not-the-password", "Sup3r-s3cret-X"):
        assert secret not in text
    for name in ("current_password", "new_password", "confirm"):
        assert not soup(response).find("input", attrs={"name": name}).get("value")


# --- sessions -----------------------------------------------------------------------------


def test_the_sessions_list_shows_this_browser_other_browsers_and_api_tokens(member_client, app):
    browser(app, headers={"User-Agent": "Other Browser/1.0"})
    api_token(app)
    rows = session_rows(member_client)
    assert sorted((row.kind, row.current) for row in rows) == [
        ("API tokens", False),
        ("Browser", False),
        ("Browser", True),
    ]
    current = next(row for row in rows if row.current)
    assert "(this one)" in current.text
    assert "127.0.0.1" in current.text
    other = next(row for row in rows if not row.current and row.kind == "Browser")
    assert "Unknown browser" in other.text and other.user_agent == "Other Browser/1.0"
    for row in rows:
        assert row.revoke_url.startswith("/settings/sessions/")
        assert row.revoke_url.endswith("/revoke")


FIREFOX_ON_LINUX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
CHROME_ON_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko)"
    " Chrome/131.0.0.0 Safari/537.36"
)


@pytest.mark.parametrize(
    ("user_agent", "shown"),
    [
        (FIREFOX_ON_LINUX, "Firefox on Linux"),
        (CHROME_ON_WINDOWS, "Chrome on Windows"),
        ("curl/8.5.0", "curl"),
        ("python-requests/2.32.3", "Python Requests"),
        ("Other Browser/1.0", "Unknown browser"),
    ],
)
def test_the_sessions_list_names_the_browser_and_keeps_the_full_user_agent_in_its_title(
    member_client, app, user_agent, shown
):
    browser(app, headers={"User-Agent": user_agent})
    html = soup(member_client.get("/settings"))
    devices = [device_of(tr) for tr in html.select("tbody tr")]
    assert (shown, user_agent) in devices
    assert user_agent not in html.select_one("tbody").get_text()  # only in the title


def test_a_session_without_a_user_agent_shows_none(member_client, app):
    browser(app, headers={"User-Agent": ""})
    html = soup(member_client.get("/settings"))
    assert len(html.select("tbody tr")) == 2
    assert len(html.select("tbody .user-agent")) == 1  # this browser's only


def test_the_send_a_new_link_button_stands_apart_from_the_profile_form(member_client):
    html = soup(member_client.get("/settings"))
    resend = html.find("button", string="Send a new link")
    assert resend is not None
    assert resend.find_parent(class_="email-verification") is not None
    assert resend.find_parent("form").get("action") == "/settings/verify-email"


def test_the_sessions_list_shows_only_this_members_sessions(member_client, app, register):
    register("other@example.com", "Other")
    browser(app, email="other@example.com")
    api_token(app, email="other@example.com")
    assert len(session_rows(member_client)) == 1


def test_revoking_another_browser_session_ends_it_and_keeps_this_one(member_client, app):
    other = browser(app, headers={"User-Agent": "Other Browser/1.0"})
    target = next(row for row in session_rows(member_client) if not row.current)

    response = member_client.post(target.revoke_url)
    assert response.status_code == 302
    assert response.headers["Location"] == "/settings"
    page = soup(member_client.get("/settings"))
    assert flashes(page) == ["That session is logged out."]

    assert is_anonymous(other)
    rows = session_rows(member_client)
    assert [(row.kind, row.current) for row in rows] == [("Browser", True)]


def test_logging_a_session_out_asks_first_naming_it_and_the_asking_ends_nothing(member_client, app):
    other = browser(app, headers={"User-Agent": "Other Browser/1.0"})
    target = next(row for row in session_rows(member_client) if not row.current)
    asked = confirmation_page(member_client, f"{target.revoke_url}/confirm")
    assert asked.heading == "Log out that session?"
    assert "Kind Browser" in asked.text
    assert "Device Unknown browser (Other Browser/1.0)" in asked.text
    assert (asked.action, asked.back) == (target.revoke_url, "/settings")
    assert not is_anonymous(other)
    assert len(session_rows(member_client)) == 2

    member_client.post(asked.action)
    assert is_anonymous(other)


def test_the_confirmation_for_this_session_says_it_logs_this_browser_out(member_client):
    this = next(row for row in session_rows(member_client) if row.current)
    asked = confirmation_page(member_client, f"{this.revoke_url}/confirm")
    assert asked.heading == "Log out this browser?"
    assert not is_anonymous(member_client)


def test_the_confirmation_for_another_members_session_is_the_404_page(member_client, app, register):
    register("other@example.com", "Other")
    theirs = session_rows(browser(app, email="other@example.com"))[0]
    response = member_client.get(f"{theirs.revoke_url}/confirm")
    assert response.status_code == 404
    assert soup(response).select_one(".error-status").string == "404"


def test_logging_out_everywhere_asks_first_and_the_asking_ends_nothing(member_client, app):
    other = browser(app)
    token = api_token(app)
    asked = confirmation_page(member_client, "/settings/logout-everywhere/confirm")
    assert asked.heading == "Log out everywhere?"
    assert "Active sessions 3" in asked.text
    assert (asked.action, asked.back) == ("/settings/logout-everywhere", "/settings")
    assert not is_anonymous(other) and not is_anonymous(member_client)
    assert api_me_status(app, token) == 200


def test_revoking_the_api_session_kills_its_access_token(member_client, app):
    token = api_token(app)
    assert api_me_status(app, token) == 200
    target = next(row for row in session_rows(member_client) if row.kind == "API tokens")
    member_client.post(target.revoke_url)
    assert api_me_status(app, token) == 401
    assert member_client.get("/settings").status_code == 200


def test_revoking_this_session_from_the_list_logs_this_browser_out(member_client, app):
    other = browser(app)
    this = next(row for row in session_rows(member_client) if row.current)
    response = member_client.post(this.revoke_url)
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    assert is_anonymous(member_client)
    assert other.get("/settings").status_code == 200


def test_a_member_cannot_revoke_another_members_session(member_client, app, register):
    register("other@example.com", "Other")
    other = browser(app, email="other@example.com")
    theirs = session_rows(other)[0]

    response = member_client.post(theirs.revoke_url)
    assert response.status_code == 404
    assert soup(response).select_one(".error-status").string == "404"
    assert other.get("/settings").status_code == 200
    assert member_client.get("/settings").status_code == 200


def test_revoking_an_unknown_session_is_the_404_page(member_client):
    response = member_client.post("/settings/sessions/999999/revoke")
    assert response.status_code == 404
    assert member_client.get("/settings").status_code == 200


def test_logging_out_everywhere_ends_every_session_this_one_too(member_client, app):
    other = browser(app)
    token = api_token(app)
    copied = member_client.get_cookie("session").value

    response = member_client.post("/settings/logout-everywhere")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    login_page = soup(member_client.get("/login"))
    assert flashes(login_page) == ["You are logged out everywhere."]

    assert is_anonymous(member_client)
    assert is_anonymous(other)
    assert api_me_status(app, token) == 401
    replayed = app.test_client()
    replayed.set_cookie("session", copied)
    assert is_anonymous(replayed)


def test_after_logging_out_everywhere_the_password_still_logs_in(member_client, app):
    member_client.post("/settings/logout-everywhere")
    fresh = browser(app)
    assert [(row.kind, row.current) for row in session_rows(fresh)] == [("Browser", True)]


# --- CSRF ---------------------------------------------------------------------------------


@pytest.fixture
def csrf_client(app, registered_member):
    """A browser logged in as the member on the app with CSRF protection on."""
    app.config["WTF_CSRF_ENABLED"] = True
    csrf_browser = app.test_client()
    token = soup(csrf_browser.get("/login")).find("input", attrs={"name": "csrf_token"})["value"]
    response = csrf_browser.post(
        "/login", data={"email": EMAIL, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302
    return csrf_browser


def form_token(client, action: str, page: str = "/settings") -> str:
    form = soup(client.get(page)).find("form", action=action)
    return form.find("input", attrs={"name": "csrf_token"})["value"]


def test_a_rename_without_the_csrf_token_is_refused(csrf_client, app):
    response = csrf_client.post("/settings/profile", data={"name": "Mallory"})
    assert response.status_code == 400
    assert soup(response).select_one(".error-status").string == "400"
    assert stored_user(app).name == "Member"


def test_a_rename_with_the_token_from_the_form_works(csrf_client, app):
    token = form_token(csrf_client, "/settings/profile")
    response = csrf_client.post("/settings/profile", data={"name": "Grace", "csrf_token": token})
    assert response.status_code == 302
    assert stored_user(app).name == "Grace"


def test_the_money_mail_setting_without_the_csrf_token_is_refused(csrf_client, app):
    response = csrf_client.post(MONEY_MAIL, data={})
    assert response.status_code == 400
    assert stored_user(app).notify_money_received is True


def test_the_money_mail_setting_with_the_token_from_the_form_works(csrf_client, app):
    token = form_token(csrf_client, MONEY_MAIL)
    response = csrf_client.post(MONEY_MAIL, data={"csrf_token": token})
    assert response.status_code == 302
    assert stored_user(app).notify_money_received is False


def test_a_password_change_without_the_csrf_token_is_refused(csrf_client, app):
    response = csrf_client.post("/settings/password", data=password_form())
    assert response.status_code == 400
    assert api_token(app, password=PASSWORD)


def test_a_password_change_with_the_token_from_the_form_works(csrf_client, app):
    token = form_token(csrf_client, "/settings/password")
    response = csrf_client.post("/settings/password", data={**password_form(), "csrf_token": token})
    assert response.status_code == 302
    assert api_token(app, password=NEW_PASSWORD)


def test_logging_out_everywhere_without_the_csrf_token_is_refused(csrf_client):
    response = csrf_client.post("/settings/logout-everywhere")
    assert response.status_code == 400
    assert csrf_client.get("/settings").status_code == 200


def test_revoking_a_session_without_the_csrf_token_is_refused(csrf_client):
    this = next(row for row in session_rows(csrf_client) if row.current)
    assert csrf_client.post(this.revoke_url).status_code == 400
    assert csrf_client.get("/settings").status_code == 200


def test_logging_out_everywhere_with_the_token_from_the_page_works(csrf_client):
    token = form_token(
        csrf_client, "/settings/logout-everywhere", page="/settings/logout-everywhere/confirm"
    )
    response = csrf_client.post("/settings/logout-everywhere", data={"csrf_token": token})
    assert response.status_code == 302
    assert is_anonymous(csrf_client)


# --- role-protected pages -----------------------------------------------------------------


@pytest.fixture
def guarded_app(app):
    """The test app (before its first request) with a page that only admins may see."""
    app.add_url_rule("/_test/admin", "admin_only", role_required("admin")(lambda: "secret"))
    return app


def make_admin(app, email: str = "admin@example.com") -> None:
    with app.app_context():
        RegistrationService().create_or_promote_admin(email=email, password=PASSWORD, name="Admin")


def test_an_admin_page_sends_an_anonymous_visitor_to_login(guarded_app):
    response = guarded_app.test_client().get("/_test/admin")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=%2F_test%2Fadmin"


def test_an_admin_page_is_the_403_page_for_a_member(guarded_app, register):
    register(EMAIL, "Member")
    response = browser(guarded_app).get("/_test/admin")
    assert response.status_code == 403
    assert response.mimetype == "text/html"
    page = soup(response)
    assert page.select_one("header nav a.brand")
    assert page.select_one(".error-status").string == "403"
    assert "secret" not in response.get_data(as_text=True)


def test_an_admin_page_is_shown_to_an_admin(guarded_app):
    make_admin(guarded_app)
    response = browser(guarded_app, email="admin@example.com").get("/_test/admin")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "secret"


def test_logging_in_as_an_admin_follows_next_to_the_admin_page(guarded_app):
    make_admin(guarded_app)
    client = guarded_app.test_client()
    login_url = client.get("/_test/admin").headers["Location"]
    response = client.post(login_url, data={"email": "admin@example.com", "password": PASSWORD})
    assert response.headers["Location"] == "/_test/admin"
    assert client.get("/_test/admin").status_code == 200


def test_a_promotion_applies_to_the_next_request(guarded_app, register):
    register(EMAIL, "Member")
    client = browser(guarded_app)
    assert client.get("/_test/admin").status_code == 403
    make_admin(guarded_app, email=EMAIL)
    assert client.get("/_test/admin").status_code == 200


def test_a_demotion_applies_to_the_next_request(guarded_app, register):
    register(EMAIL, "Member")
    make_admin(guarded_app, email=EMAIL)
    make_admin(guarded_app)
    client = browser(guarded_app)
    assert client.get("/_test/admin").status_code == 200
    with guarded_app.app_context():
        actor = UserDirectory().find_by_email("admin@example.com")
        member = UserDirectory().find_by_email(EMAIL)
        UserAdminService().update_by_admin(actor.id, member.id, roles=["user"])
    assert client.get("/_test/admin").status_code == 403
