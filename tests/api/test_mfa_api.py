"""The second factor on the API: turning it on and off, logging in with a code or a
recovery code, no replay, and the lock after wrong codes."""

from __future__ import annotations

import logging
import re

import pytest

from tests.support.audit_log import events
from tests.support.clients import PASSWORD, bearer
from tests.support.concurrency import run_in_threads
from tests.support.envelopes import assert_error, assert_success
from tests.support.mfa import Clock, code, fixed_clock, sent_mails, turn_on_api, wrong_code
from webapp.core.errors import MfaRequired
from webapp.services.auth import BAD_CREDENTIALS

TOTP = "/api/v1/users/me/mfa/totp"
CONFIRM = "/api/v1/users/me/mfa/totp/confirm"
LOGIN = "/api/v1/auth/login"
EMAIL = "member@example.com"
RECOVERY_CODE = re.compile(r"[a-z2-9]{5}-[a-z2-9]{5}")


@pytest.fixture
def clock(monkeypatch) -> Clock:
    return fixed_clock(monkeypatch)


@pytest.fixture
def factor(client, member, clock) -> dict:
    """The member's factor, on: {"secret", "recoveryCodes"}."""
    return turn_on_api(client, member, clock)


def log_in(client, otp: str | None = None, password: str = PASSWORD):
    body = {"email": EMAIL, "password": password}
    if otp is not None:
        body["otp"] = otp
    return client.post(LOGIN, json=body)


def me(client, headers) -> dict:
    return assert_success(client.get("/api/v1/users/me", headers=headers))


# --- turning it on --------------------------------------------------------------------------


def test_enrolling_answers_a_secret_and_its_uri_and_leaves_the_factor_off(client, member):
    data = assert_success(client.post(TOTP, headers=member))
    assert set(data) == {"secret", "otpauthUri"}
    assert re.fullmatch(r"[A-Z2-7]{32}", data["secret"])
    assert data["otpauthUri"] == (
        f"otpauth://totp/Tally:member%40example.com?secret={data['secret']}&issuer=Tally"
    )
    assert me(client, member)["mfaEnabled"] is False
    assert log_in(client).status_code == 200  # no code asked while it is not confirmed


def test_confirming_with_a_current_code_turns_it_on_with_ten_single_use_codes(
    app, client, member, clock
):
    secret = assert_success(client.post(TOTP, headers=member))["secret"]
    data = assert_success(client.post(CONFIRM, headers=member, json={"code": code(secret, clock)}))
    codes = data["recoveryCodes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    assert all(RECOVERY_CODE.fullmatch(c) for c in codes)
    assert me(client, member)["mfaEnabled"] is True  # the cached record, invalidated at once
    assert [e.data for e in events(app, "user.mfa_enabled")] == [{}]


def test_confirming_with_a_wrong_code_is_a_422_that_leaves_the_factor_off(
    app, client, member, clock
):
    secret = assert_success(client.post(TOTP, headers=member))["secret"]
    error = assert_error(
        client.post(CONFIRM, headers=member, json={"code": wrong_code(secret, clock)}),
        422,
        "VALIDATION_ERROR",
    )
    assert set(error["details"]) == {"code"}
    assert me(client, member)["mfaEnabled"] is False
    assert [e.data for e in events(app, "user.mfa_failed")] == [{"purpose": "confirm"}]
    assert events(app, "user.mfa_enabled") == []


def test_confirming_refuses_a_code_of_a_step_outside_the_window(client, member, clock):
    secret = assert_success(client.post(TOTP, headers=member))["secret"]
    for steps in (-2, 2):
        response = client.post(CONFIRM, headers=member, json={"code": code(secret, clock, steps)})
        assert_error(response, 422, "VALIDATION_ERROR")
    assert me(client, member)["mfaEnabled"] is False


def test_confirming_with_nothing_waiting_is_a_409(client, member):
    assert_error(client.post(CONFIRM, headers=member, json={"code": "123456"}), 409, "CONFLICT")


def test_enrolling_again_once_on_is_a_409(client, member, factor):
    assert_error(client.post(TOTP, headers=member), 409, "CONFLICT")
    assert me(client, member)["mfaEnabled"] is True


def test_confirming_again_once_on_is_a_409(client, member, factor, clock):
    response = client.post(CONFIRM, headers=member, json={"code": code(factor["secret"], clock)})
    assert_error(response, 409, "CONFLICT")


@pytest.mark.parametrize(
    "body",
    [{}, {"code": ""}, {"code": 123456}, {"code": "1" * 33}, {"code": "123456", "x": 1}],
)
def test_confirming_refuses_a_malformed_body(client, member, body):
    client.post(TOTP, headers=member)
    error = assert_error(client.post(CONFIRM, headers=member, json=body), 422, "VALIDATION_ERROR")
    assert error["details"]


def test_the_factor_endpoints_need_a_token(client):
    assert_error(client.post(TOTP), 401, "UNAUTHORIZED")
    assert_error(client.post(CONFIRM, json={"code": "123456"}), 401, "UNAUTHORIZED")
    assert_error(
        client.delete(TOTP, json={"password": PASSWORD, "code": "123456"}), 401, "UNAUTHORIZED"
    )


# --- logging in -------------------------------------------------------------------------------


def test_login_without_a_code_is_401_mfa_required(client, factor):
    for response in (log_in(client), log_in(client, otp="")):
        error = assert_error(response, 401, "MFA_REQUIRED")
        assert error["message"] == MfaRequired.message != BAD_CREDENTIALS


def test_login_with_a_current_code_gives_the_token_pair(client, factor, clock):
    data = assert_success(log_in(client, otp=code(factor["secret"], clock)))
    assert set(data) == {"accessToken", "refreshToken", "tokenType", "expiresIn"}
    assert me(client, bearer(data))["mfaEnabled"] is True


def test_a_code_is_accepted_once(client, factor, clock):
    current = code(factor["secret"], clock)
    assert log_in(client, otp=current).status_code == 200
    assert_error(log_in(client, otp=current), 401, "MFA_REQUIRED")


def test_a_code_older_than_the_last_accepted_one_is_refused(client, factor, clock):
    later = code(factor["secret"], clock, 1)
    assert log_in(client, otp=later).status_code == 200
    assert_error(log_in(client, otp=code(factor["secret"], clock)), 401, "MFA_REQUIRED")
    clock.tick(2)
    assert log_in(client, otp=code(factor["secret"], clock)).status_code == 200


def test_a_code_of_the_neighbouring_steps_is_accepted(client, factor, clock):
    clock.tick(2)  # past the step that confirmed the factor
    assert log_in(client, otp=code(factor["secret"], clock, -1)).status_code == 200
    assert log_in(client, otp=code(factor["secret"], clock, 1)).status_code == 200


def test_a_code_with_spaces_is_accepted(client, factor, clock):
    current = code(factor["secret"], clock)
    assert log_in(client, otp=f" {current[:3]} {current[3:]} ").status_code == 200


def test_a_recovery_code_logs_in_once(app, client, factor):
    first, second = factor["recoveryCodes"][:2]
    assert log_in(client, otp=first).status_code == 200
    assert_error(log_in(client, otp=first), 401, "MFA_REQUIRED")
    # Typed in capitals and without its dash, it is the same code.
    assert log_in(client, otp=second.upper().replace("-", "")).status_code == 200
    assert [e.data for e in events(app, "user.recovery_code_used")] == [
        {"remaining": 9},
        {"remaining": 8},
    ]


def test_a_wrong_password_answers_as_for_an_unknown_email_with_the_factor_on(
    register, client, factor, clock
):
    wrong = assert_error(
        log_in(client, otp=code(factor["secret"], clock), password="x"), 401, "UNAUTHORIZED"
    )
    unknown = assert_error(
        client.post(LOGIN, json={"email": "nobody@example.com", "password": "x", "otp": "1"}),
        401,
        "UNAUTHORIZED",
    )
    assert wrong == unknown == {"code": "UNAUTHORIZED", "message": BAD_CREDENTIALS}


def test_a_wrong_code_is_recorded_without_the_code(app, client, factor, clock):
    typed = wrong_code(factor["secret"], clock)
    assert_error(log_in(client, otp=typed), 401, "MFA_REQUIRED")
    failed = events(app, "user.mfa_failed")
    assert [(e.data, e.actor_id) for e in failed] == [({"purpose": "login", "kind": "api"}, None)]
    assert events(app, "user.login")[-1].data["kind"] == "api"  # only the fixture's logins
    assert len(events(app, "user.login")) == 1


# --- the lock ---------------------------------------------------------------------------------


def test_five_wrong_codes_lock_the_user_and_even_a_right_code_gets_429(client, factor, clock):
    for _ in range(5):
        assert_error(log_in(client, otp=wrong_code(factor["secret"], clock)), 401, "MFA_REQUIRED")
    response = log_in(client, otp=code(factor["secret"], clock))
    assert_error(response, 429, "RATE_LIMITED")
    assert 1 <= int(response.headers["Retry-After"]) <= 300
    assert response.headers["X-RateLimit-Limit"] == "5"
    assert response.headers["X-RateLimit-Remaining"] == "0"
    assert_error(log_in(client, otp=factor["recoveryCodes"][0]), 429, "RATE_LIMITED")


def test_the_lock_counts_every_kind_of_wrong_code_together(client, member, factor, clock):
    for _ in range(3):
        log_in(client, otp=wrong_code(factor["secret"], clock))
    for _ in range(2):
        response = client.delete(
            TOTP,
            headers=member,
            json={"password": PASSWORD, "code": wrong_code(factor["secret"], clock)},
        )
        assert_error(response, 422, "VALIDATION_ERROR")
    response = client.delete(
        TOTP, headers=member, json={"password": PASSWORD, "code": code(factor["secret"], clock)}
    )
    assert_error(response, 429, "RATE_LIMITED")
    assert me(client, member)["mfaEnabled"] is True


def test_the_lock_is_per_user(client, register, login, factor, clock):
    for _ in range(5):
        log_in(client, otp=wrong_code(factor["secret"], clock))
    register("other@example.com")
    other = turn_on_api(client, bearer(login("other@example.com")), clock)
    response = client.post(
        LOGIN,
        json={
            "email": "other@example.com",
            "password": PASSWORD,
            "otp": code(other["secret"], clock),
        },
    )
    assert_success(response)


def test_no_code_given_is_not_counted_toward_the_lock(client, factor, clock):
    for _ in range(6):
        assert_error(log_in(client), 401, "MFA_REQUIRED")
    assert_success(log_in(client, otp=code(factor["secret"], clock)))


def test_a_wrong_password_is_not_counted_as_a_wrong_code(client, factor, clock):
    for _ in range(6):
        assert_error(log_in(client, otp="123456", password="wrong-password"), 401, "UNAUTHORIZED")
    assert_success(log_in(client, otp=code(factor["secret"], clock)))


def test_the_lock_holds_with_the_request_limits_turned_off(app, make_app, clock):
    del app  # only for its emptied database
    client = make_app(RATELIMIT_ENABLED="false").test_client()
    client.post("/api/v1/auth/register", json={"email": EMAIL, "password": PASSWORD, "name": "M"})
    headers = bearer(
        client.post(LOGIN, json={"email": EMAIL, "password": PASSWORD}).get_json()["data"]
    )
    factor = turn_on_api(client, headers, clock)
    for _ in range(5):
        log_in(client, otp=wrong_code(factor["secret"], clock))
    assert_error(log_in(client, otp=code(factor["secret"], clock)), 429, "RATE_LIMITED")


# --- turning it off ---------------------------------------------------------------------------


def disable(client, headers, password: str, otp: str):
    return client.delete(TOTP, headers=headers, json={"password": password, "code": otp})


def test_turning_off_needs_the_password_and_a_code_and_mails_the_member(
    app, client, member, factor, clock
):
    response = disable(client, member, PASSWORD, code(factor["secret"], clock))
    assert response.status_code == 204 and response.get_data() == b""
    assert me(client, member)["mfaEnabled"] is False
    assert assert_success(log_in(client))  # the password alone again
    assert [e.data for e in events(app, "user.mfa_disabled")] == [{"byAdmin": False}]
    (mail,) = [m for m in sent_mails(app) if "second factor" in m.subject]
    assert mail.to == [EMAIL]
    assert "http://127.0.0.1:5000/forgot-password" in mail.body
    assert "administrator" not in mail.body


def test_turning_off_with_a_recovery_code_works(client, member, factor):
    assert disable(client, member, PASSWORD, factor["recoveryCodes"][0]).status_code == 204
    assert me(client, member)["mfaEnabled"] is False


def test_turning_off_with_a_wrong_password_is_a_422_on_the_password(
    app, client, member, factor, clock
):
    response = disable(client, member, "not-the-password", code(factor["secret"], clock))
    error = assert_error(response, 422, "VALIDATION_ERROR")
    assert set(error["details"]) == {"password"}
    assert me(client, member)["mfaEnabled"] is True
    assert all("second factor" not in m.subject for m in sent_mails(app))


def test_turning_off_with_a_wrong_code_is_a_422_on_the_code(client, member, factor, clock):
    response = disable(client, member, PASSWORD, wrong_code(factor["secret"], clock))
    error = assert_error(response, 422, "VALIDATION_ERROR")
    assert set(error["details"]) == {"code"}
    assert me(client, member)["mfaEnabled"] is True


def test_turning_off_with_a_used_code_is_refused(client, member, factor, clock):
    current = code(factor["secret"], clock)
    assert log_in(client, otp=current).status_code == 200
    assert_error(disable(client, member, PASSWORD, current), 422, "VALIDATION_ERROR")


def test_turning_off_when_off_is_a_409(client, member):
    assert_error(disable(client, member, PASSWORD, "123456"), 409, "CONFLICT")


def test_turning_off_refuses_a_malformed_body(client, member, factor):
    assert_error(
        client.delete(TOTP, headers=member, json={"code": "123456"}), 422, "VALIDATION_ERROR"
    )
    assert_error(client.delete(TOTP, headers=member), 422, "VALIDATION_ERROR")
    assert me(client, member)["mfaEnabled"] is True


def test_turning_it_on_again_after_off_starts_with_a_new_secret(client, member, factor, clock):
    assert disable(client, member, PASSWORD, code(factor["secret"], clock)).status_code == 204
    again = turn_on_api(client, member, clock)
    assert again["secret"] != factor["secret"]
    assert not set(again["recoveryCodes"]) & set(factor["recoveryCodes"])
    assert_error(log_in(client, otp=factor["recoveryCodes"][0]), 401, "MFA_REQUIRED")


# --- an admin's reset -------------------------------------------------------------------------


def test_an_admin_resets_a_members_factor(app, client, admin, member, factor):
    member_id = me(client, member)["id"]
    response = client.delete(f"/api/v1/users/{member_id}/mfa", headers=admin)
    assert response.status_code == 204
    assert me(client, member)["mfaEnabled"] is False
    (event,) = events(app, "user.mfa_disabled")
    assert event.data == {"byAdmin": True} and event.actor_id != int(member_id)
    (mail,) = [m for m in sent_mails(app) if "second factor" in m.subject]
    assert "administrator" in mail.body
    assert assert_success(log_in(client))
    assert_error(client.delete(f"/api/v1/users/{member_id}/mfa", headers=admin), 409, "CONFLICT")


def test_only_an_admin_resets_a_factor(client, member, factor):
    member_id = me(client, member)["id"]
    assert_error(client.delete(f"/api/v1/users/{member_id}/mfa", headers=member), 403, "FORBIDDEN")
    assert_error(client.delete(f"/api/v1/users/{member_id}/mfa"), 401, "UNAUTHORIZED")
    assert me(client, member)["mfaEnabled"] is True


def test_no_admins_factor_is_reset_from_the_api_their_own_included(
    app, client, make_admin, login, clock
):
    make_admin("admin@example.com")
    make_admin("other-admin@example.com")
    admin = bearer(login("admin@example.com"))
    other = bearer(login("other-admin@example.com"))
    turn_on_api(client, admin, clock)
    turn_on_api(client, other, clock)
    mails_before = len(sent_mails(app))
    for target in (admin, other):  # a stolen admin token strips no factor, its own or another's
        target_id = me(client, target)["id"]
        response = client.delete(f"/api/v1/users/{target_id}/mfa", headers=admin)
        assert "flask reset-second-factor" in assert_error(response, 403, "FORBIDDEN")["message"]
        assert me(client, target)["mfaEnabled"] is True
    assert events(app, "user.mfa_disabled") == []
    assert len(sent_mails(app)) == mails_before


def test_an_operator_resets_an_admins_factor_from_the_command_line(
    app, client, make_admin, login, clock
):
    make_admin("admin@example.com")
    admin = bearer(login("admin@example.com"))
    turn_on_api(client, admin, clock)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["reset-second-factor", "--email", " Admin@Example.com "])
    assert result.exit_code == 0, result.output
    assert me(client, admin)["mfaEnabled"] is False
    (event,) = events(app, "user.mfa_disabled")
    assert event.actor_id is None and event.data == {"byAdmin": True}
    (mail,) = [m for m in sent_mails(app) if "second factor" in m.subject]
    assert mail.to == ["admin@example.com"]
    again = runner.invoke(args=["reset-second-factor", "--email", "admin@example.com"])
    assert again.exit_code != 0 and "No second factor is on" in again.output
    unknown = runner.invoke(args=["reset-second-factor", "--email", "nobody@example.com"])
    assert unknown.exit_code != 0 and "No user has that email" in unknown.output


def test_resetting_an_unknown_users_factor_is_a_404(client, admin):
    assert_error(client.delete("/api/v1/users/999999/mfa", headers=admin), 404, "NOT_FOUND")


# --- secrets stay secret ----------------------------------------------------------------------


def test_no_secret_or_code_reaches_a_log_line_or_an_event(
    app, client, member, clock, caplog, capsys
):
    caplog.set_level(logging.DEBUG)
    factor = turn_on_api(client, member, clock)
    typed = [
        code(factor["secret"], clock),
        wrong_code(factor["secret"], clock),
        factor["recoveryCodes"][0],
    ]
    for otp in typed:
        log_in(client, otp=otp)
    disable(client, member, PASSWORD, factor["recoveryCodes"][1])
    secrets = [factor["secret"], *typed, *factor["recoveryCodes"]]
    secrets += [c.replace("-", "") for c in factor["recoveryCodes"]]
    captured = capsys.readouterr()
    written = caplog.text + captured.out + captured.err
    stored = " ".join(f"{e.type} {e.subject} {e.data}" for e in events(app))
    for secret in secrets:
        assert secret not in written
        assert secret not in stored


def test_one_code_sent_by_several_logins_at_once_opens_one_session(app, factor, clock):
    current = code(factor["secret"], clock)
    statuses: list[int] = []

    def log_in_once(_index: int) -> None:
        statuses.append(log_in(app.test_client(), otp=current).status_code)

    run_in_threads(4, log_in_once)
    assert sorted(statuses) == [200, 401, 401, 401]
