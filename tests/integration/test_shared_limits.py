"""Limits that guard one thing count once, whichever surface it is reached through.

A login on the page and on the API draw on the same per-IP and per-email buckets; so do
registrations; a current-password check is limited per user on the settings page and on
PATCH /users/me together. Each test sets an hour-long window that no run straddles.
"""

from __future__ import annotations

import pytest

from tests.support.clients import PASSWORD, bearer
from tests.support.envelopes import assert_error, assert_success

API_LOGIN = "/api/v1/auth/login"
API_REGISTER = "/api/v1/auth/register"
ME = "/api/v1/users/me"
EMAIL = "member@example.com"


def address(n: int) -> dict[str, dict[str, str]]:
    return {"environ_base": {"REMOTE_ADDR": f"10.1.0.{n}"}}


def api_login(client, email: str, password: str, n: int):
    return client.post(API_LOGIN, json={"email": email, "password": password}, **address(n))


def page_login(client, email: str, password: str, n: int):
    return client.post("/login", data={"email": email, "password": password}, **address(n))


@pytest.fixture
def limited_app(make_app, app):
    """The test app with every shared limit at 10 per hour."""
    for name in ("LOGIN_RATE_LIMIT", "REGISTER_RATE_LIMIT", "PASSWORD_CHECK_RATE_LIMIT"):
        app.config[name] = "10/hour"
    return app


def test_one_email_gets_ten_guesses_in_all_across_the_page_and_the_api(limited_app, register):
    register(EMAIL)
    client = limited_app.test_client()
    for n in range(5):
        assert_error(api_login(client, EMAIL, f"wrong-guess-{n}", n), 401, "UNAUTHORIZED")
        assert page_login(client, EMAIL, f"wrong-guess-{n}", 100 + n).status_code == 200
    # Each guess came from its own address: only the email's bucket is full.
    assert_error(api_login(client, EMAIL, PASSWORD, 50), 429, "RATE_LIMITED")
    assert page_login(client, EMAIL, PASSWORD, 150).status_code == 429
    assert api_login(client, "someone-else@example.com", PASSWORD, 51).status_code == 401


def test_one_address_gets_ten_logins_in_all_across_the_page_and_the_api(limited_app):
    client = limited_app.test_client()
    for n in range(5):
        assert api_login(client, f"api{n}@example.com", PASSWORD, 7).status_code == 401
        assert page_login(client, f"page{n}@example.com", PASSWORD, 7).status_code == 200
    assert_error(api_login(client, "fresh@example.com", PASSWORD, 7), 429, "RATE_LIMITED")
    assert page_login(client, "fresh@example.com", PASSWORD, 7).status_code == 429
    assert api_login(client, "fresh@example.com", PASSWORD, 8).status_code == 401


def test_one_address_gets_ten_registrations_in_all_across_the_page_and_the_api(limited_app):
    client = limited_app.test_client()
    for n in range(5):
        body = {"email": f"api{n}@example.com", "password": PASSWORD, "name": "A"}
        assert client.post(API_REGISTER, json=body, **address(9)).status_code == 201
        form = {
            "email": f"page{n}@example.com",
            "password": PASSWORD,
            "confirm": PASSWORD,
            "name": "P",
        }
        assert (
            limited_app.test_client().post("/register", data=form, **address(9)).status_code == 302
        )
    late = {"email": "late@example.com", "password": PASSWORD, "name": "Late"}
    assert_error(client.post(API_REGISTER, json=late, **address(9)), 429, "RATE_LIMITED")
    form = {**late, "confirm": PASSWORD}
    assert client.post("/register", data=form, **address(9)).status_code == 429


def change_password_on_the_api(client, tokens, current: str):
    body = {"currentPassword": current, "newPassword": "a-brand-new-passphrase"}
    return client.patch(ME, json=body, headers=bearer(tokens))


def change_password_on_the_page(browser, current: str):
    form = {
        "current_password": current,
        "new_password": "a-brand-new-passphrase",
        "confirm": "a-brand-new-passphrase",
    }
    return browser.post("/settings/password", data=form)


def test_the_current_password_gets_ten_guesses_a_user_across_the_page_and_the_api(
    limited_app, register, login
):
    register(EMAIL)
    tokens = login(EMAIL)
    browser = limited_app.test_client()
    assert page_login(browser, EMAIL, PASSWORD, 1).status_code == 302
    for n in range(5):
        wrong = f"wrong-guess-{n}"
        error = assert_error(
            change_password_on_the_api(browser, tokens, wrong), 422, "VALIDATION_ERROR"
        )
        assert error["details"] == {"currentPassword": "The current password is incorrect."}
        assert change_password_on_the_page(browser, wrong).status_code == 200
    # The right password now, from either surface: the bucket is full, nothing changes.
    assert_error(change_password_on_the_api(browser, tokens, PASSWORD), 429, "RATE_LIMITED")
    assert change_password_on_the_page(browser, PASSWORD).status_code == 429
    assert login(EMAIL, PASSWORD)["accessToken"]
    # Renaming checks no password and is not counted; another user has a bucket of their own.
    renamed = limited_app.test_client().patch(ME, json={"name": "Renamed"}, headers=bearer(tokens))
    assert assert_success(renamed)["name"] == "Renamed"
    register("other@example.com")
    other = login("other@example.com")
    response = change_password_on_the_api(limited_app.test_client(), other, "wrong-guess")
    assert_error(response, 422, "VALIDATION_ERROR")


def test_the_password_check_limit_is_ten_a_minute_by_default(app):
    assert app.config["PASSWORD_CHECK_RATE_LIMIT"] == "10/minute"
    assert app.config["LOGIN_RATE_LIMIT"] == "10/minute"
