"""The second factor's lock under concurrency: however many wrong codes arrive at once, on
one worker or several, exactly MFA_FAILURE_LIMIT of them are evaluated and the rest get 429."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from flask import Flask

from tests.support.audit_log import events
from tests.support.clients import PASSWORD, bearer
from tests.support.concurrency import run_in_threads
from tests.support.mfa import Clock, code, fixed_clock, turn_on_api, wrong_code
from webapp.core.errors import AppError
from webapp.services.auth import AuthService, ClientInfo
from webapp.services.mfa.service import MfaService
from webapp.services.principal import Principal
from webapp.services.users.registration import RegistrationService

EMAIL = "member@example.com"
CLIENT = ClientInfo(ip="127.0.0.1", user_agent="pytest")
TRIES = 20
LIMIT = 5  # MFA_FAILURE_LIMIT's default: 5 per 5 minutes


@pytest.fixture
def clock(monkeypatch) -> Clock:
    return fixed_clock(monkeypatch)


def test_twenty_wrong_codes_at_once_on_two_workers_give_five_401_and_fifteen_429(
    app, make_app, client, register, login, clock
):
    register(EMAIL)
    secret = turn_on_api(client, bearer(login(EMAIL)), clock)["secret"]
    workers = [app, make_app()]  # two apps on one database: two workers, each its own memory
    for worker in workers:
        worker.config["LOGIN_RATE_LIMIT"] = "1000/minute"  # only the second factor's lock refuses
    wrong = wrong_code(secret, clock)
    statuses: list[int] = []
    lock = threading.Lock()

    def log_in(index: int) -> None:
        response = (
            workers[index % len(workers)]
            .test_client()
            .post("/api/v1/auth/login", json={"email": EMAIL, "password": PASSWORD, "otp": wrong})
        )
        with lock:
            statuses.append(response.status_code)

    run_in_threads(TRIES, log_in)

    answered = (statuses.count(401), statuses.count(429), len(events(app, "user.mfa_failed")))
    assert answered == (LIMIT, TRIES - LIMIT, LIMIT)  # (wrong, locked, failures recorded)


def turned_on(clock: Clock) -> tuple[Principal, str]:
    """A member with the factor on: (their principal, the secret)."""
    user = RegistrationService().register(email=EMAIL, password=PASSWORD, name="Member")
    member = AuthService().acting_as(user.id)
    secret = MfaService().start_enrollment(member).secret
    MfaService().confirm_enrollment(member, code(secret, clock))
    clock.tick()
    return member, secret


def page_login(member: Principal, typed: str) -> None:
    AuthService().complete_browser_login(member.user_id, typed, CLIENT)


def api_login_with_a_recovery_code(_member: Principal, _typed: str) -> None:
    AuthService().login_for_tokens(EMAIL, PASSWORD, CLIENT, otp="abcde-fghjk")


def turning_off(member: Principal, typed: str) -> None:
    MfaService().disable(member, password=PASSWORD, code=typed)


def turning_off_with_a_wrong_password(member: Principal, typed: str) -> None:
    MfaService().disable(member, password="not-the-password", code=typed)


def new_recovery_codes(member: Principal, typed: str) -> None:
    MfaService().regenerate_recovery_codes(member, typed)


def refusals_of_tries_at_once(app: Flask, attempt: Callable[[], None]) -> list[int]:
    """Run `attempt` in TRIES threads at once; the statuses of the errors they raised."""
    statuses: list[int] = []
    lock = threading.Lock()

    def try_once(_index: int) -> None:
        with app.app_context():
            try:
                attempt()
            except AppError as error:
                with lock:
                    statuses.append(error.status)

    run_in_threads(TRIES, try_once)
    return sorted(statuses)


@pytest.mark.parametrize(
    "check_code",
    [
        page_login,
        api_login_with_a_recovery_code,
        turning_off,
        turning_off_with_a_wrong_password,
        new_recovery_codes,
    ],
)
def test_every_place_a_code_is_checked_evaluates_five_of_twenty_at_once(
    app, clock, check_code: Callable[[Principal, str], None]
):
    with app.app_context():
        member, secret = turned_on(clock)
    wrong = wrong_code(secret, clock)

    refusals = refusals_of_tries_at_once(app, lambda: check_code(member, wrong))

    refused = (len(refusals), refusals.count(429), len(events(app, "user.mfa_failed")))
    assert refused == (TRIES, TRIES - LIMIT, LIMIT)  # (refused, locked, failures recorded)


def test_confirming_evaluates_five_of_twenty_wrong_codes_at_once(app, clock):
    with app.app_context():
        user = RegistrationService().register(email=EMAIL, password=PASSWORD, name="Member")
        member = AuthService().acting_as(user.id)
        secret = MfaService().start_enrollment(member).secret
    wrong = wrong_code(secret, clock)

    refusals = refusals_of_tries_at_once(
        app, lambda: MfaService().confirm_enrollment(member, wrong)
    )

    refused = (refusals.count(422), refusals.count(429), len(events(app, "user.mfa_failed")))
    assert refused == (LIMIT, TRIES - LIMIT, LIMIT)  # (wrong, locked, failures recorded)
