"""The second factor in the browser: /settings/security turns it on and off, and /login
asks for a code on a second step (/login/verify) before the session is logged in."""

from __future__ import annotations

import time
from urllib.parse import unquote

import pytest

from tests.support.audit_log import events
from tests.support.clients import PASSWORD
from tests.support.mfa import Clock, code, fixed_clock, sent_mails, wrong_code
from tests.support.pages import browser, field_errors, flashes, soup
from webapp.services.auth import BAD_CREDENTIALS
from webapp.services.mfa.service import WRONG_CODE, WRONG_PASSWORD
from webapp.services.users.administration import UserAdminService
from webapp.services.users.registration import RegistrationService
from webapp.web import show_once

EMAIL = "member@example.com"
SECURITY = "/settings/security"


@pytest.fixture
def clock(monkeypatch) -> Clock:
    return fixed_clock(monkeypatch)


@pytest.fixture
def member_id(app) -> int:
    with app.app_context():
        return RegistrationService().register(email=EMAIL, password=PASSWORD, name="Member").id


@pytest.fixture
def page(app, member_id):
    """A browser logged in as the member (no second factor yet)."""
    return browser(app)


def shown_codes(response) -> list[str]:
    return [c.get_text(strip=True) for c in soup(response).select(".recovery-codes code")]


def redirects_to_the_page(response) -> bool:
    return response.status_code == 302 and response.headers["Location"] == SECURITY


def turn_on(page, clock: Clock) -> tuple[str, list[str]]:
    assert page.post(f"{SECURITY}/totp").status_code == 302
    secret = soup(page.get(SECURITY)).select_one("#totp-secret").get_text(strip=True)
    confirmed = page.post(f"{SECURITY}/totp/confirm", data={"code": code(secret, clock)})
    assert redirects_to_the_page(confirmed)
    codes = shown_codes(page.get(SECURITY))
    clock.tick()
    return secret, codes


@pytest.fixture
def factor(page, clock) -> tuple[str, list[str]]:
    """The member's factor, on (secret, recovery codes)."""
    return turn_on(page, clock)


def is_anonymous(client) -> bool:
    response = client.get("/dashboard")
    return response.status_code == 302 and response.headers["Location"].startswith("/login")


def first_step(client, password: str = PASSWORD, next_url: str | None = None):
    url = f"/login?next={next_url}" if next_url else "/login"
    return client.post(url, data={"email": EMAIL, "password": password})


def second_step(client, typed: str, next_url: str | None = None):
    url = f"/login/verify?next={next_url}" if next_url else "/login/verify"
    return client.post(url, data={"code": typed})


# --- the security page ----------------------------------------------------------------------


def test_the_security_page_needs_a_login(client):
    response = client.get(SECURITY)
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_turning_on_shows_a_qr_code_and_the_secret_then_the_codes_once(app, page, clock):
    off = soup(page.get(SECURITY))
    assert "off" in off.select_one("#second-factor").get_text()
    assert page.post(f"{SECURITY}/totp").status_code == 302

    waiting = page.get(SECURITY)
    html = waiting.get_data(as_text=True)
    shown = soup(waiting)
    svg = shown.select_one("figure.qr-code svg")
    assert svg is not None and svg.select("path")
    assert "<script" not in html.lower()
    secret = shown.select_one("#totp-secret").get_text(strip=True)
    assert len(secret) == 32

    confirmed = page.post(f"{SECURITY}/totp/confirm", data={"code": code(secret, clock)})
    assert redirects_to_the_page(confirmed)
    shown = page.get(SECURITY)
    codes = shown_codes(shown)
    assert len(set(codes)) == 10
    assert shown.headers["Cache-Control"] == "no-store"

    again = page.get(SECURITY).get_data(as_text=True)
    assert not any(c in again for c in codes) and secret not in again  # shown once only
    assert soup(page.get(SECURITY)).select_one("#recovery-codes-left").string == "10"
    assert len(events(app, "user.mfa_enabled")) == 1


def test_a_wrong_confirmation_code_is_a_field_error_and_the_factor_stays_off(page, clock):
    page.post(f"{SECURITY}/totp")
    secret = soup(page.get(SECURITY)).select_one("#totp-secret").get_text(strip=True)
    response = page.post(f"{SECURITY}/totp/confirm", data={"code": wrong_code(secret, clock)})
    assert response.status_code == 200
    assert field_errors(soup(response), "code") == [WRONG_CODE]
    assert soup(page.get(SECURITY)).select_one("#totp-secret") is not None  # still waiting


def test_an_empty_confirmation_code_is_a_field_error(page):
    page.post(f"{SECURITY}/totp")
    response = page.post(f"{SECURITY}/totp/confirm", data={"code": ""})
    assert response.status_code == 200 and field_errors(soup(response), "code")


def test_confirming_with_nothing_waiting_says_so(page):
    response = page.post(f"{SECURITY}/totp/confirm", data={"code": "123456"}, follow_redirects=True)
    assert any("turn it on first" in f for f in flashes(soup(response)))


def test_turning_off_needs_the_password_and_a_code(app, page, factor, clock):
    secret, _codes = factor
    wrong_password = page.post(
        f"{SECURITY}/totp/disable", data={"password": "nope", "code": code(secret, clock)}
    )
    assert field_errors(soup(wrong_password), "password") == [WRONG_PASSWORD]
    wrong = page.post(
        f"{SECURITY}/totp/disable", data={"password": PASSWORD, "code": wrong_code(secret, clock)}
    )
    assert field_errors(soup(wrong), "code") == [WRONG_CODE]
    assert soup(page.get(SECURITY)).select_one("#recovery-codes-left") is not None

    done = page.post(
        f"{SECURITY}/totp/disable", data={"password": PASSWORD, "code": code(secret, clock)}
    )
    assert done.status_code == 302
    assert "off" in soup(page.get(SECURITY)).select_one("#second-factor").get_text()
    assert [m.to for m in sent_mails(app) if "second factor" in m.subject] == [[EMAIL]]
    assert first_step(app.test_client()).headers["Location"] == "/dashboard"


def test_new_recovery_codes_from_the_page(page, factor, clock):
    secret, old = factor
    response = page.post(
        f"{SECURITY}/recovery-codes", data={"regenerate-code": code(secret, clock)}
    )
    assert redirects_to_the_page(response)
    new = shown_codes(page.get(SECURITY))
    assert len(new) == 10 and not set(new) & set(old)
    wrong = page.post(f"{SECURITY}/recovery-codes", data={"regenerate-code": "000000"})
    assert field_errors(soup(wrong), "regenerate-code") == [WRONG_CODE]


def code_boxes(response) -> dict[str, str]:
    """Every code and password box of the page, by name, with the value it comes filled with."""
    boxes = soup(response).select("input[name$=code], input[type=password]")
    return {box["name"]: box.get("value", "") for box in boxes}


def test_after_turning_on_the_page_is_a_get_and_every_box_is_empty(page, clock):
    page.post(f"{SECURITY}/totp")
    secret = soup(page.get(SECURITY)).select_one("#totp-secret").get_text(strip=True)
    typed = code(secret, clock)
    confirmed = page.post(f"{SECURITY}/totp/confirm", data={"code": typed})
    assert redirects_to_the_page(confirmed)
    shown = page.get(SECURITY)
    assert "The second factor is on" in " ".join(flashes(soup(shown)))
    assert code_boxes(shown) == {"regenerate-code": "", "password": "", "code": ""}
    assert typed not in shown.get_data(as_text=True)


def test_after_new_recovery_codes_the_page_is_a_get_and_every_box_is_empty(page, factor, clock):
    secret, _codes = factor
    typed = code(secret, clock)
    response = page.post(f"{SECURITY}/recovery-codes", data={"regenerate-code": typed})
    assert redirects_to_the_page(response)
    shown = page.get(SECURITY)
    assert len(shown_codes(shown)) == 10
    assert "New recovery codes" in " ".join(flashes(soup(shown)))
    assert code_boxes(shown) == {"regenerate-code": "", "password": "", "code": ""}
    assert typed not in shown.get_data(as_text=True)


def test_new_codes_are_shown_on_the_next_page_once_and_never_travel_in_the_cookie(
    app, page, factor, clock
):
    secret, _codes = factor
    posted = page.post(f"{SECURITY}/recovery-codes", data={"regenerate-code": code(secret, clock)})
    with page.session_transaction() as session:
        kept = str(dict(session))
    shown = page.get(SECURITY)
    codes = shown_codes(shown)
    assert len(codes) == 10
    assert shown.headers["Cache-Control"] == "no-store"
    for code_ in codes:
        assert code_ not in kept and code_ not in str(posted.headers)
        assert code_ not in str(shown.headers)
    again = page.get(SECURITY)
    assert shown_codes(again) == [] and not any(c in again.get_data(as_text=True) for c in codes)
    assert soup(again).select_one("#recovery-codes-download") is None
    # Another browser of the same member never sees them.
    other = browser(app)
    assert shown_codes(other.get(SECURITY)) == []


def test_the_download_link_is_a_text_file_of_the_codes_and_copy_needs_javascript(page, clock):
    page.post(f"{SECURITY}/totp")
    secret = soup(page.get(SECURITY)).select_one("#totp-secret").get_text(strip=True)
    page.post(f"{SECURITY}/totp/confirm", data={"code": code(secret, clock)})
    shown = soup(page.get(SECURITY))
    codes = [c.get_text(strip=True) for c in shown.select(".recovery-codes code")]
    link = shown.select_one("#recovery-codes-download")
    assert link["download"] == "tally-recovery-codes.txt"
    prefix = "data:text/plain;charset=utf-8,"
    assert link["href"].startswith(prefix)
    text = unquote(link["href"].removeprefix(prefix))
    assert [line for line in text.splitlines() if line in codes] == codes
    assert EMAIL in text
    copy = shown.select_one("button[data-copy-from=recovery-codes-list]")
    assert copy.has_attr("hidden") and copy["type"] == "button"  # shown by the script only
    assert shown.select_one("#recovery-codes-list") is not None
    script = shown.select_one("#recovery-codes script")["src"]
    assert script.startswith("/static/js/copy.js?v=")
    assert page.get(script).status_code == 200


def test_when_the_cache_cannot_hold_the_codes_the_answer_shows_them_with_empty_boxes(
    page, factor, clock, monkeypatch
):
    def refuse(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(show_once.cache, "set", refuse)
    secret, old = factor
    typed = code(secret, clock)
    response = page.post(f"{SECURITY}/recovery-codes", data={"regenerate-code": typed})
    assert response.status_code == 200
    new = shown_codes(response)
    assert len(new) == 10 and not set(new) & set(old)
    assert response.headers["Cache-Control"] == "no-store"
    assert code_boxes(response) == {"regenerate-code": "", "password": "", "code": ""}
    assert shown_codes(page.get(SECURITY)) == []


# --- logging in with the factor on ----------------------------------------------------------


def test_the_login_asks_for_a_code_and_stays_anonymous_until_it_is_given(app, factor, clock):
    secret, _codes = factor
    client = app.test_client()
    response = first_step(client, next_url="/orders")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login/verify?next=/orders"
    assert is_anonymous(client)
    assert soup(client.get("/login/verify?next=/orders")).select_one("input[name=code]")

    done = second_step(client, code(secret, clock), next_url="/orders")
    assert done.status_code == 302 and done.headers["Location"] == "/orders"
    assert not is_anonymous(client)
    assert [e.data["kind"] for e in events(app, "user.login")][-1] == "browser"


def test_after_the_second_step_an_admin_lands_on_admin_and_a_member_on_the_dashboard(
    app, factor, clock, make_admin
):
    secret, _codes = factor
    member = app.test_client()
    first_step(member)
    assert second_step(member, code(secret, clock)).headers["Location"] == "/dashboard"
    clock.tick()

    make_admin(email=EMAIL)  # the same person, promoted
    admin = app.test_client()
    first_step(admin)
    assert second_step(admin, code(secret, clock)).headers["Location"] == "/admin"
    clock.tick()

    followed = app.test_client()
    first_step(followed, next_url="/orders")
    done = second_step(followed, code(secret, clock), next_url="/orders")
    assert done.headers["Location"] == "/orders"


def test_the_pending_login_keeps_nothing_secret_in_the_session(app, factor):
    client = app.test_client()
    first_step(client)
    with client.session_transaction() as session:
        pending = dict(session)["pending_login"]
    assert set(pending) == {"user", "at"} and isinstance(pending["at"], int)


def test_a_wrong_code_is_a_field_error_and_a_used_code_is_refused(app, factor, clock):
    secret, _codes = factor
    client = app.test_client()
    first_step(client)
    response = second_step(client, wrong_code(secret, clock))
    assert response.status_code == 200
    assert field_errors(soup(response), "code") == [WRONG_CODE]
    assert second_step(client, code(secret, clock)).status_code == 302

    other = app.test_client()
    first_step(other)
    replay = second_step(other, code(secret, clock))
    assert field_errors(soup(replay), "code") == [WRONG_CODE]
    assert is_anonymous(other)


def test_a_recovery_code_logs_in_once(app, factor):
    _secret, codes = factor
    client = app.test_client()
    first_step(client)
    assert second_step(client, codes[0]).status_code == 302
    other = app.test_client()
    first_step(other)
    assert field_errors(soup(second_step(other, codes[0])), "code") == [WRONG_CODE]


def test_five_wrong_codes_then_the_429_page_even_for_a_right_code(app, factor, clock):
    secret, _codes = factor
    client = app.test_client()
    first_step(client)
    for _ in range(5):
        assert second_step(client, wrong_code(secret, clock)).status_code == 200
    response = second_step(client, code(secret, clock))
    assert response.status_code == 429 and response.mimetype == "text/html"
    assert soup(response).select_one(".error-status").string == "429"
    assert response.headers["Retry-After"]
    assert is_anonymous(client)


def test_the_page_and_the_api_count_wrong_codes_together(app, factor, clock):
    secret, _codes = factor
    api = app.test_client()
    for _ in range(3):
        response = api.post(
            "/api/v1/auth/login",
            json={"email": EMAIL, "password": PASSWORD, "otp": wrong_code(secret, clock)},
        )
        assert response.status_code == 401
    client = app.test_client()
    first_step(client)
    for _ in range(2):
        assert second_step(client, wrong_code(secret, clock)).status_code == 200
    assert second_step(client, code(secret, clock)).status_code == 429


def test_a_wrong_password_answers_as_before_and_asks_for_no_code(app, factor):
    client = app.test_client()
    response = first_step(client, password="not-the-password")
    assert response.status_code == 200
    assert BAD_CREDENTIALS in response.get_data(as_text=True)
    with client.session_transaction() as session:
        assert "pending_login" not in session


def test_the_second_step_without_a_first_goes_back_to_the_login(client):
    response = client.get("/login/verify?next=/orders")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/orders"
    assert client.post("/login/verify", data={"code": "123456"}).status_code == 302


def test_a_pending_login_expires(app, factor, clock):
    secret, _codes = factor
    client = app.test_client()
    first_step(client)
    with client.session_transaction() as session:
        pending = dict(session["pending_login"])
        pending["at"] = int(time.time()) - app.config["MFA_LOGIN_TTL"] - 1
        session["pending_login"] = pending
    response = second_step(client, code(secret, clock))
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert is_anonymous(client)
    assert second_step(client, code(secret, clock)).headers["Location"] == "/login"


def test_a_member_deactivated_between_the_steps_is_not_logged_in(
    app, member_id, factor, clock, make_admin
):
    secret, _codes = factor
    client = app.test_client()
    first_step(client)
    admin_id = make_admin()
    with app.app_context():
        UserAdminService().update_by_admin(
            admin_id, member_id, roles=None, is_active=False, name=None
        )
    response = second_step(client, code(secret, clock))
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert is_anonymous(client)
