"""Step-up on the pages: a stale session asked for a recent login goes to
/confirm-password with `next`, proves it is still the member (password, and a code when a
second factor is on), and comes back to do it. Wrong passwords there are refused and
count in the current-password limit; `next` goes only to a local path."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from tests.support.access_tokens import token_rows
from tests.support.audit_log import events
from tests.support.clients import PASSWORD, bearer
from tests.support.mfa import Clock, code, fixed_clock, turn_on_api, wrong_code
from tests.support.pages import browser, field_errors, flashes, soup
from tests.support.step_up import age_logins
from webapp.services.users.registration import RegistrationService

EMAIL = "member@example.com"
TOKENS = "/settings/tokens"
CONFIRM = "/confirm-password"
TOKEN = {"name": "export", "scopes": ["read"], "expires_in_days": "30"}


@pytest.fixture
def page(app):
    with app.app_context():
        RegistrationService().register(email=EMAIL, password=PASSWORD, name="Member")
    return browser(app)


def location(response) -> tuple[str, dict[str, list[str]]]:
    parts = urlsplit(response.headers["Location"])
    return parts.path, parse_qs(parts.query)


def test_a_fresh_login_makes_a_token_without_a_detour(app, page):
    assert page.post(TOKENS, data=TOKEN).status_code == 302
    assert len(token_rows(app)) == 1


def test_a_stale_login_goes_to_confirm_password_and_makes_nothing(app, page):
    age_logins(app)
    response = page.post(TOKENS, data=TOKEN)
    assert response.status_code == 302
    assert location(response) == (CONFIRM, {"next": [TOKENS]})
    assert token_rows(app) == []
    form = soup(page.get(f"{CONFIRM}?next={TOKENS}"))
    assert form.select_one("label[for=password]") and form.select_one("input[type=password]")
    assert form.select_one("input[name=code]") is None  # no second factor: no code asked


def test_the_right_password_goes_back_to_next_and_the_action_then_works(app, page):
    age_logins(app)
    page.post(TOKENS, data=TOKEN)
    response = page.post(f"{CONFIRM}?next={TOKENS}", data={"password": PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == TOKENS
    assert flashes(soup(page.get(TOKENS)))
    assert page.post(TOKENS, data=TOKEN).status_code == 302
    assert len(token_rows(app)) == 1
    assert len(events(app, "user.reauthenticated")) == 1


def test_a_wrong_password_is_refused_on_the_form(app, page):
    age_logins(app)
    response = page.post(f"{CONFIRM}?next={TOKENS}", data={"password": "not it"})
    assert response.status_code == 200
    assert field_errors(soup(response), "password") == ["The password is incorrect."]
    assert location(page.post(TOKENS, data=TOKEN))[0] == CONFIRM  # still stale
    assert events(app, "user.reauthenticated") == []


def test_wrong_passwords_count_in_the_current_password_limit(app, page):
    age_logins(app)
    statuses = [
        page.post(f"{CONFIRM}?next={TOKENS}", data={"password": f"guess {n}"}).status_code
        for n in range(11)
    ]
    assert statuses == [200] * 10 + [429]
    # The same bucket as a password change on /settings.
    change = {"current_password": PASSWORD, "new_password": "another long one 42"}
    assert page.post("/settings/password", data=change).status_code == 429
    # The right password now is refused too, until the window passes.
    assert page.post(CONFIRM, data={"password": PASSWORD}).status_code == 429


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:x"]
)
def test_next_goes_only_to_a_local_path(app, page, target):
    response = page.post(CONFIRM, data={"password": PASSWORD}, query_string={"next": target})
    assert response.status_code == 302
    assert response.headers["Location"] == "/dashboard"


def test_confirm_password_needs_a_login(client):
    response = client.get(f"{CONFIRM}?next={TOKENS}")
    assert response.status_code == 302 and location(response)[0] == "/login"


def test_a_form_sent_comes_back_to_its_page(app, page):
    """A POST's `next` is its address's GET: the form is filled and sent again there."""
    age_logins(app)
    response = page.post(f"{TOKENS}?from=settings", data=TOKEN)
    assert location(response) == (CONFIRM, {"next": [TOKENS]})


@pytest.fixture
def clock(monkeypatch) -> Clock:
    return fixed_clock(monkeypatch)


def test_with_a_second_factor_the_code_is_asked_too(app, client, page, clock):
    headers = bearer(
        client.post("/api/v1/auth/login", json={"email": EMAIL, "password": PASSWORD}).get_json()[
            "data"
        ]
    )
    factor = turn_on_api(client, headers, clock)
    age_logins(app)
    form = soup(page.get(f"{CONFIRM}?next={TOKENS}"))
    assert form.select_one("input[name=code]") is not None
    no_code = page.post(f"{CONFIRM}?next={TOKENS}", data={"password": PASSWORD})
    assert no_code.status_code == 200 and field_errors(soup(no_code), "code")
    wrong = page.post(
        f"{CONFIRM}?next={TOKENS}",
        data={"password": PASSWORD, "code": wrong_code(factor["secret"], clock)},
    )
    assert wrong.status_code == 200 and field_errors(soup(wrong), "code")
    # As at login, a missing code is asked for; only a wrong one counts toward the lock.
    assert len(events(app, "user.mfa_failed")) == 1
    right = page.post(
        f"{CONFIRM}?next={TOKENS}",
        data={"password": PASSWORD, "code": code(factor["secret"], clock)},
    )
    assert right.status_code == 302 and right.headers["Location"] == TOKENS
    assert page.post(TOKENS, data=TOKEN).status_code == 302
    assert len(token_rows(app)) == 1
