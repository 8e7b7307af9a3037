"""The browser side of authentication: register, log in, log out, `next`, CSRF, cookies."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from tests.support.clients import PASSWORD
from tests.support.pages import field_errors, form_errors, soup
from webapp.infra.extensions import db
from webapp.models import Account, User
from webapp.services.users.administration import UserAdminService
from webapp.services.users.directory import UserDirectory
from webapp.services.users.registration import RegistrationService

EMAIL = "member@example.com"
BAD_CREDENTIALS = "Invalid email or password."


def csrf_token(response) -> str:
    return soup(response).find("input", attrs={"name": "csrf_token"})["value"]


def log_in(client, email: str = EMAIL, password: str = PASSWORD, **kwargs):
    return client.post("/login", data={"email": email, "password": password}, **kwargs)


def register_form(**overrides: str) -> dict[str, str]:
    values = {"name": "Grace", "email": "grace@example.com", "password": PASSWORD}
    values.update(overrides)
    values.setdefault("confirm", values["password"])
    return values


def user_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(User))


def is_anonymous(client) -> bool:
    response = client.get("/settings")
    return response.status_code == 302 and response.headers["Location"].startswith("/login")


def deactivate(app, email: str) -> None:
    with app.app_context():
        admin = RegistrationService().create_or_promote_admin(
            email="admin@example.com", password=PASSWORD, name="Admin"
        )
        user = UserDirectory().find_by_email(email)
        UserAdminService().update_by_admin(admin.user.id, user.id, is_active=False)


@pytest.fixture
def registered_member(register):
    return register(EMAIL, "Member")


@pytest.fixture
def csrf_app(app):
    """The test app with CSRF protection on, as in every other configuration."""
    app.config["WTF_CSRF_ENABLED"] = True
    return app


# --- register -----------------------------------------------------------------------------


def test_the_register_page_has_labelled_fields(client):
    response = client.get("/register")
    assert response.status_code == 200
    page = soup(response)
    for name in ("name", "email", "password", "confirm"):
        field = page.find("input", attrs={"name": name})
        assert field is not None, name
        assert page.find("label", attrs={"for": field["id"]}), name
    assert page.find("input", attrs={"name": "password"})["type"] == "password"


def test_registering_creates_the_member_logs_them_in_and_goes_to_the_dashboard(client, app):
    response = client.post("/register", data=register_form(email="Grace@Example.COM"))
    assert response.status_code == 302
    assert response.headers["Location"] == "/dashboard"
    with app.app_context():
        user = db.session.scalar(select(User))
        assert user.email == "grace@example.com"
        assert user.name == "Grace"
        accounts = db.session.scalars(select(Account).where(Account.user_id == user.id)).all()
        assert [a.name for a in accounts] == ["Main"]
    dashboard = client.get("/dashboard")
    assert dashboard.status_code == 200
    assert "Your Main account is open." in dashboard.get_data(as_text=True)
    assert [a.get_text(strip=True) for a in soup(dashboard).select("table.accounts a")] == ["Main"]
    settings = client.get("/settings")
    assert settings.status_code == 200
    assert "grace@example.com" in settings.get_data(as_text=True)


def test_a_common_password_is_refused_next_to_the_password_field(client, app):
    response = client.post("/register", data=register_form(password="password1"))
    assert response.status_code == 200
    page = soup(response)
    assert field_errors(page, "password") == ["This password is too common. Choose another."]
    assert page.find("input", attrs={"name": "password"})["aria-invalid"] == "true"
    assert user_count(app) == 0
    assert is_anonymous(client)


def test_a_short_password_is_refused_next_to_the_password_field(client, app):
    response = client.post("/register", data=register_form(password="Xy7#q"))
    assert response.status_code == 200
    assert field_errors(soup(response), "password") == ["The password must be 8 to 128 characters."]
    assert user_count(app) == 0


def test_a_password_over_128_characters_is_refused(client, app):
    response = client.post("/register", data=register_form(password="x" * 129))
    assert response.status_code == 200
    assert field_errors(soup(response), "password") == ["The password must be 8 to 128 characters."]
    assert user_count(app) == 0


def test_a_confirmation_that_differs_is_refused_next_to_the_confirm_field(client, app):
    response = client.post("/register", data=register_form(confirm="correct-horse-battery!"))
    assert response.status_code == 200
    assert field_errors(soup(response), "confirm") == ["The passwords differ."]
    assert user_count(app) == 0


def test_an_invalid_email_is_refused_next_to_the_email_field(client, app):
    response = client.post("/register", data=register_form(email="not-an-email"))
    assert response.status_code == 200
    errors = field_errors(soup(response), "email")
    assert len(errors) == 1 and errors[0]
    assert user_count(app) == 0


def test_empty_fields_are_each_marked_required(client, app):
    response = client.post("/register", data={})
    assert response.status_code == 200
    page = soup(response)
    for name in ("name", "email", "password", "confirm"):
        assert field_errors(page, name) == ["This field is required."], name
    assert user_count(app) == 0


def test_an_email_already_registered_in_another_case_is_refused(client, app, registered_member):
    response = client.post("/register", data=register_form(email="MEMBER@example.com"))
    assert response.status_code == 200
    assert field_errors(soup(response), "email") == ["This email is already registered."]
    assert user_count(app) == 1
    assert is_anonymous(client)


def test_a_refused_registration_keeps_what_was_typed_but_never_the_password(client):
    response = client.post("/register", data=register_form(password="password1"))
    page = soup(response)
    assert page.find("input", attrs={"name": "name"})["value"] == "Grace"
    assert page.find("input", attrs={"name": "email"})["value"] == "grace@example.com"
    assert not page.find("input", attrs={"name": "password"}).get("value")
    assert not page.find("input", attrs={"name": "confirm"}).get("value")
    assert "password1" not in response.get_data(as_text=True)


def test_a_logged_in_member_visiting_register_goes_to_the_dashboard(client, registered_member):
    log_in(client)
    response = client.get("/register")
    assert response.status_code == 302
    assert response.headers["Location"] == "/dashboard"


# --- log in -------------------------------------------------------------------------------


def test_the_login_page_has_labelled_fields(client):
    response = client.get("/login")
    assert response.status_code == 200
    page = soup(response)
    for name in ("email", "password"):
        field = page.find("input", attrs={"name": name})
        assert page.find("label", attrs={"for": field["id"]}), name
    assert page.find("input", attrs={"name": "password"})["type"] == "password"


def test_logging_in_goes_to_the_dashboard_as_that_member(client, registered_member):
    response = log_in(client)
    assert response.status_code == 302
    assert response.headers["Location"] == "/dashboard"
    settings = client.get("/settings")
    assert settings.status_code == 200
    page = soup(settings)
    assert page.select_one(".nav-user").get_text(strip=True) == "Member"
    assert EMAIL in settings.get_data(as_text=True)


def test_an_admin_lands_on_admin_after_login_unless_a_next_was_given(app, make_admin):
    make_admin(email="boss@example.com")
    response = log_in(app.test_client(), email="boss@example.com")
    assert response.status_code == 302 and response.headers["Location"] == "/admin"
    followed = app.test_client().post(
        "/login?next=/orders", data={"email": "boss@example.com", "password": PASSWORD}
    )
    assert followed.headers["Location"] == "/orders"
    again = app.test_client()
    log_in(again, email="boss@example.com")
    assert again.get("/login").headers["Location"] == "/admin"  # already in: the admin's home


def test_the_email_is_matched_whatever_its_case(client, registered_member):
    response = log_in(client, email="  Member@EXAMPLE.com ")
    assert response.status_code == 302
    assert client.get("/settings").status_code == 200


def test_login_shows_one_message_for_an_unknown_email_and_a_wrong_password(
    client, registered_member
):
    unknown = log_in(client, email="nobody@example.com")
    wrong = log_in(client, password="not-the-password")
    for response in (unknown, wrong):
        assert response.status_code == 200
        assert form_errors(soup(response)) == [BAD_CREDENTIALS]
    assert str(soup(unknown).select_one(".form-errors")) == str(
        soup(wrong).select_one(".form-errors")
    )
    for response in (unknown, wrong):
        assert not field_errors(soup(response), "email")
        assert not field_errors(soup(response), "password")
    assert is_anonymous(client)


def test_a_failed_login_keeps_the_email_but_not_the_password(client, registered_member):
    response = log_in(client, password="not-the-password")
    page = soup(response)
    assert page.find("input", attrs={"name": "email"})["value"] == EMAIL
    assert not page.find("input", attrs={"name": "password"}).get("value")
    assert "not-the-password" not in response.get_data(as_text=True)


def test_empty_login_fields_are_marked_required(client):
    response = client.post("/login", data={})
    assert response.status_code == 200
    page = soup(response)
    assert field_errors(page, "email") == ["This field is required."]
    assert field_errors(page, "password") == ["This field is required."]


def test_a_deactivated_member_cannot_log_in(client, app, registered_member):
    deactivate(app, EMAIL)
    response = log_in(client)
    assert response.status_code == 200
    assert form_errors(soup(response)) == ["This account has been disabled."]
    assert is_anonymous(client)


def test_a_deactivated_account_is_not_revealed_without_its_password(client, app, registered_member):
    deactivate(app, EMAIL)
    response = log_in(client, password="not-the-password")
    assert form_errors(soup(response)) == [BAD_CREDENTIALS]


def test_a_logged_in_browser_is_anonymous_once_its_member_is_deactivated(
    client, app, registered_member
):
    log_in(client)
    assert client.get("/settings").status_code == 200
    deactivate(app, EMAIL)
    assert is_anonymous(client)
    assert soup(client.get("/")).select_one(".nav-user") is None


def test_the_11th_login_in_a_minute_gets_the_429_page(client, registered_member):
    for _ in range(10):
        assert log_in(client, password="not-the-password").status_code == 200
    response = log_in(client)
    assert response.status_code == 429
    assert response.mimetype == "text/html"
    assert soup(response).select_one(".error-status").string == "429"
    assert response.headers["Retry-After"]
    assert is_anonymous(client)


def test_the_login_limit_counts_per_email_across_addresses(app, client, registered_member):
    app.config["LOGIN_RATE_LIMIT"] = "10/hour"  # a window no test run straddles
    for n in range(10):
        response = log_in(
            client, password="not-the-password", environ_base={"REMOTE_ADDR": f"10.0.0.{n}"}
        )
        assert response.status_code == 200
    response = log_in(client, environ_base={"REMOTE_ADDR": "10.0.1.1"})
    assert response.status_code == 429


def test_the_login_limit_counts_per_address_across_emails(app, client, registered_member):
    app.config["LOGIN_RATE_LIMIT"] = "10/hour"  # a window no test run straddles
    for n in range(10):
        assert log_in(client, email=f"guess{n}@example.com").status_code == 200
    assert log_in(client).status_code == 429
    response = log_in(client, environ_base={"REMOTE_ADDR": "10.0.1.1"})
    assert response.status_code == 302


def test_showing_the_login_page_is_not_rate_limited(client):
    for _ in range(12):
        assert client.get("/login").status_code == 200


# --- next ---------------------------------------------------------------------------------


def test_an_anonymous_visit_to_settings_goes_to_login_with_next(client):
    response = client.get("/settings")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=%2Fsettings"


def test_the_login_form_carries_next_and_logging_in_follows_it(client, registered_member):
    page = soup(client.get("/login", query_string={"next": "/settings?tab=1"}))
    action = urlsplit(page.select_one("main form")["action"])
    assert action.path == "/login"
    assert parse_qs(action.query) == {"next": ["/settings?tab=1"]}
    response = log_in(client, query_string={"next": "/settings?tab=1"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/settings?tab=1"


def test_the_redirect_to_login_round_trips_to_the_page_asked_for(client, registered_member):
    login_url = client.get("/settings").headers["Location"]
    response = client.post(login_url, data={"email": EMAIL, "password": PASSWORD})
    assert response.headers["Location"] == "/settings"


OFF_SITE = [
    "https://other.example",
    "https://other.example/settings",
    "//other.example",
    "//other.example/settings",
    "/\\other.example",
    "\\\\other.example",
    "/\t/other.example",
    "javascript:alert(1)",
    "other.example",
]


@pytest.mark.parametrize("target", OFF_SITE)
def test_next_never_redirects_off_site(client, registered_member, target):
    response = log_in(client, query_string={"next": target})
    assert response.status_code == 302
    assert response.headers["Location"] == "/dashboard"


@pytest.mark.parametrize("target", OFF_SITE)
def test_the_login_form_drops_an_off_site_next(client, target):
    page = soup(client.get("/login", query_string={"next": target}))
    assert page.select_one("main form")["action"] == "/login"


def test_a_logged_in_member_visiting_login_follows_a_local_next(client, registered_member):
    log_in(client)
    response = client.get("/login", query_string={"next": "/settings?tab=1"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/settings?tab=1"


def test_a_logged_in_member_visiting_login_ignores_an_off_site_next(client, registered_member):
    log_in(client)
    response = client.get("/login", query_string={"next": "//other.example"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/dashboard"


# --- log out ------------------------------------------------------------------------------


def test_logging_out_goes_home_and_the_browser_is_anonymous(client, registered_member):
    log_in(client)
    response = client.post("/logout")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    home = client.get("/")
    assert "You are logged out." in home.get_data(as_text=True)
    assert soup(home).select_one(".nav-user") is None
    assert is_anonymous(client)


def test_logging_out_needs_a_post(client, registered_member):
    log_in(client)
    assert client.get("/logout").status_code == 405
    assert client.get("/settings").status_code == 200


def test_a_session_cookie_replayed_after_logout_is_anonymous(client, app, registered_member):
    log_in(client)
    copied = client.get_cookie("session").value
    client.post("/logout")

    other = app.test_client()
    other.set_cookie("session", copied)
    response = other.get("/settings")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=%2Fsettings"


def test_a_session_cookie_copied_to_another_browser_works_until_logout(
    client, app, registered_member
):
    log_in(client)
    other = app.test_client()
    other.set_cookie("session", client.get_cookie("session").value)
    assert other.get("/settings").status_code == 200
    other.post("/logout")
    assert is_anonymous(client)


def test_logging_out_ends_the_session_record_shown_in_settings(client, app, registered_member):
    log_in(client)
    watcher = app.test_client()
    log_in(watcher)
    assert len(soup(watcher.get("/settings")).select("tbody tr")) == 2
    client.post("/logout")
    assert len(soup(watcher.get("/settings")).select("tbody tr")) == 1


# --- cookies and caching ------------------------------------------------------------------


def login_set_cookie(response) -> str:
    cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    assert len(cookies) == 1, response.headers.getlist("Set-Cookie")
    return cookies[0]


def test_the_session_cookie_is_httponly_and_samesite_lax(client, registered_member):
    cookie = login_set_cookie(log_in(client))
    attributes = [part.strip().lower() for part in cookie.split(";")[1:]]
    assert "httponly" in attributes
    assert "samesite=lax" in attributes
    assert "path=/" in attributes


def test_logging_in_sets_no_remember_me_cookie(client, registered_member):
    response = log_in(client)
    assert not [
        c for c in response.headers.getlist("Set-Cookie") if c.startswith("remember_token=")
    ]


def test_the_session_id_changes_at_login(client, registered_member):
    with client.session_transaction() as session:
        session["planted"] = "by whoever handed this cookie over"
    before = client.get_cookie("session").value

    log_in(client)
    after = client.get_cookie("session").value
    assert after != before
    with client.session_transaction() as session:
        assert "planted" not in session


def test_a_cookie_set_before_login_stays_anonymous_after_it(client, app, registered_member):
    with client.session_transaction() as session:
        session["planted"] = "fixation attempt"
    fixed = client.get_cookie("session").value
    log_in(client)

    attacker = app.test_client()
    attacker.set_cookie("session", fixed)
    assert is_anonymous(attacker)
    assert client.get("/settings").status_code == 200


def test_an_unsigned_or_forged_session_cookie_is_anonymous(client, registered_member):
    client.set_cookie("session", "forged-value")
    assert is_anonymous(client)
    response = log_in(client)
    assert response.status_code == 302
    assert client.get_cookie("session").value != "forged-value"
    assert client.get("/settings").status_code == 200


def test_a_session_cookie_alone_gets_401_on_the_api(client, registered_member):
    log_in(client)
    assert client.get("/settings").status_code == 200
    response = client.get("/api/v1/users/me")
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "UNAUTHORIZED"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_authenticated_pages_are_not_cached(client, registered_member):
    log_in(client)
    for path in ("/settings", "/"):
        response = client.get(path)
        assert response.status_code == 200
        assert "no-store" in response.headers["Cache-Control"], path


def test_the_login_redirect_is_not_cached(client, registered_member):
    response = log_in(client)
    assert "no-store" in response.headers["Cache-Control"]


# --- CSRF ---------------------------------------------------------------------------------


def test_a_login_without_the_csrf_token_is_refused(csrf_app, registered_member):
    client = csrf_app.test_client()
    response = log_in(client)
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    page = soup(response)
    assert page.select_one(".error-status").string == "400"
    assert page.select_one("header nav a.brand")
    assert is_anonymous(client)


def test_a_login_with_a_forged_csrf_token_is_refused(csrf_app, registered_member):
    client = csrf_app.test_client()
    client.get("/login")
    response = client.post(
        "/login", data={"email": EMAIL, "password": PASSWORD, "csrf_token": "forged"}
    )
    assert response.status_code == 400
    assert is_anonymous(client)


def test_a_login_with_the_token_from_the_form_works(csrf_app, registered_member):
    client = csrf_app.test_client()
    token = csrf_token(client.get("/login"))
    response = client.post(
        "/login", data={"email": EMAIL, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/dashboard"
    assert client.get("/settings").status_code == 200


def test_a_csrf_token_from_another_browser_is_refused(csrf_app, registered_member):
    token = csrf_token(csrf_app.test_client().get("/login"))
    client = csrf_app.test_client()
    client.get("/login")
    response = client.post(
        "/login", data={"email": EMAIL, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 400
    assert is_anonymous(client)


def test_a_registration_without_the_csrf_token_creates_nobody(csrf_app):
    client = csrf_app.test_client()
    response = client.post("/register", data=register_form())
    assert response.status_code == 400
    assert soup(response).select_one(".error-status").string == "400"
    assert user_count(csrf_app) == 0


def test_a_registration_with_the_token_from_the_form_works(csrf_app):
    client = csrf_app.test_client()
    token = csrf_token(client.get("/register"))
    response = client.post("/register", data={**register_form(), "csrf_token": token})
    assert response.status_code == 302
    assert response.headers["Location"] == "/dashboard"
    assert user_count(csrf_app) == 1


def test_a_logout_without_the_csrf_token_does_not_log_out(csrf_app, registered_member):
    client = csrf_app.test_client()
    token = csrf_token(client.get("/login"))
    client.post("/login", data={"email": EMAIL, "password": PASSWORD, "csrf_token": token})
    assert client.get("/settings").status_code == 200

    assert client.post("/logout").status_code == 400
    assert client.get("/settings").status_code == 200


def test_a_logout_with_the_token_from_the_page_logs_out(csrf_app, registered_member):
    client = csrf_app.test_client()
    token = csrf_token(client.get("/login"))
    client.post("/login", data={"email": EMAIL, "password": PASSWORD, "csrf_token": token})
    logout_form = soup(client.get("/settings")).find("form", action="/logout")
    token = logout_form.find("input", attrs={"name": "csrf_token"})["value"]

    response = client.post("/logout", data={"csrf_token": token})
    assert response.status_code == 302
    assert is_anonymous(client)
