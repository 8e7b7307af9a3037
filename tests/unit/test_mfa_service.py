"""The second-factor service: what only a login session may do, an admin's reset, and the
rules of codes (the window, single use, the recovery-code form)."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import update

from tests.support.audit_log import events
from tests.support.clients import PASSWORD
from tests.support.mfa import START, STEP, Clock, code, fixed_clock, sent_mails
from webapp.core.errors import (
    Conflict,
    Forbidden,
    InsufficientScope,
    MfaRequired,
    NotFound,
    TooManyAttempts,
    ValidationError,
)
from webapp.core.tokens import hash_token
from webapp.infra.extensions import db
from webapp.models import Event, RecoveryCode, User
from webapp.models.base import utcnow
from webapp.services.auth import AuthService, ClientInfo
from webapp.services.mfa.failure_lock import MFA_FAILED, PURPOSE_LOGIN, failures
from webapp.services.mfa.service import MfaService
from webapp.services.mfa.totp import (
    RECOVERY_CODE_ALPHABET,
    matching_step,
    new_recovery_code,
    normalize_code,
)
from webapp.services.principal import Principal
from webapp.services.unit_of_work import UnitOfWork, transaction

pytestmark = pytest.mark.usefixtures("app_context")

CLIENT = ClientInfo(ip="127.0.0.1", user_agent="pytest")


@pytest.fixture
def clock(monkeypatch) -> Clock:
    return fixed_clock(monkeypatch)


def via_token(principal: Principal) -> Principal:
    """The same user calling with a personal access token that has every scope."""
    return dataclasses.replace(principal, token_id=1, scopes=frozenset({"read", "write"}))


def turn_on(member_principal: Principal, clock: Clock) -> tuple[str, list[str]]:
    secret = MfaService().start_enrollment(member_principal).secret
    codes = MfaService().confirm_enrollment(member_principal, code(secret, clock)).recovery_codes
    clock.tick()
    return secret, codes


def stored_user(user_id: int) -> User:
    db.session.expire_all()
    user = db.session.get(User, user_id)
    assert user is not None
    return user


def unused_codes(user_id: int) -> int:
    db.session.expire_all()
    rows = db.session.query(RecoveryCode).filter_by(user_id=user_id, used_at=None)
    return rows.count()


# --- a personal access token may not touch the factor -----------------------------------------


def test_a_personal_access_token_cannot_start_the_factor(member_principal):
    with pytest.raises(InsufficientScope):
        MfaService().start_enrollment(via_token(member_principal))
    assert stored_user(member_principal.user_id).totp_secret is None


def test_a_personal_access_token_cannot_confirm_it(member_principal, clock):
    secret = MfaService().start_enrollment(member_principal).secret
    with pytest.raises(InsufficientScope):
        MfaService().confirm_enrollment(via_token(member_principal), code(secret, clock))
    assert not stored_user(member_principal.user_id).mfa_enabled


def test_a_personal_access_token_cannot_turn_it_off_nor_renew_codes(member_principal, clock):
    secret, _codes = turn_on(member_principal, clock)
    with pytest.raises(InsufficientScope):
        MfaService().disable(
            via_token(member_principal), password=PASSWORD, code=code(secret, clock)
        )
    with pytest.raises(InsufficientScope):
        MfaService().regenerate_recovery_codes(via_token(member_principal), code(secret, clock))
    assert stored_user(member_principal.user_id).mfa_enabled
    assert unused_codes(member_principal.user_id) == 10


# --- an admin's reset ---------------------------------------------------------------------------


def test_an_admin_resets_the_factor_codes_and_all(app, member_principal, admin_principal, clock):
    turn_on(member_principal, clock)
    MfaService().reset_by_admin(admin_principal, member_principal.user_id)
    user = stored_user(member_principal.user_id)
    assert (user.totp_secret, user.totp_enabled_at, user.totp_last_step) == (None, None, None)
    assert unused_codes(member_principal.user_id) == 0
    (event,) = events(app, "user.mfa_disabled")
    assert (event.data, event.actor_id) == ({"byAdmin": True}, admin_principal.user_id)
    (mail,) = [m for m in sent_mails(app) if "second factor" in m.subject]
    assert mail.to == ["member@example.com"] and "administrator" in mail.body


def test_only_an_admin_with_a_login_session_resets(member_principal, admin_principal, clock):
    turn_on(member_principal, clock)
    with pytest.raises(Forbidden):
        MfaService().reset_by_admin(member_principal, member_principal.user_id)
    with pytest.raises(Forbidden):
        MfaService().reset_by_admin(via_token(admin_principal), member_principal.user_id)
    assert stored_user(member_principal.user_id).mfa_enabled


def test_resetting_a_factor_that_is_off_or_a_user_that_is_not(member_principal, admin_principal):
    with pytest.raises(Conflict):
        MfaService().reset_by_admin(admin_principal, member_principal.user_id)
    with pytest.raises(NotFound):
        MfaService().reset_by_admin(admin_principal, 999_999)


# --- recovery codes -------------------------------------------------------------------------------


def test_recovery_codes_are_stored_as_digests_of_their_normal_form(member_principal, clock):
    _secret, codes = turn_on(member_principal, clock)
    rows = db.session.query(RecoveryCode).filter_by(user_id=member_principal.user_id).all()
    assert {row.code_hash for row in rows} == {hash_token(c.replace("-", "")) for c in codes}


def test_new_recovery_codes_replace_the_old_ones(member_principal, clock):
    secret, old = turn_on(member_principal, clock)
    new = (
        MfaService().regenerate_recovery_codes(member_principal, code(secret, clock)).recovery_codes
    )
    assert not set(new) & set(old) and len(new) == 10
    assert MfaService().status(member_principal.user_id).recovery_codes_left == 10
    with pytest.raises(MfaRequired):
        AuthService().login_for_tokens("member@example.com", PASSWORD, CLIENT, otp=old[0])
    AuthService().login_for_tokens("member@example.com", PASSWORD, CLIENT, otp=new[0])
    assert MfaService().status(member_principal.user_id).recovery_codes_left == 9


def test_a_recovery_code_is_ten_characters_of_the_unambiguous_alphabet():
    for _ in range(50):
        made = new_recovery_code()
        assert len(made) == 11 and made[5] == "-"
        assert set(made.replace("-", "")) <= set(RECOVERY_CODE_ALPHABET)
    assert not set("01ilo") & set(RECOVERY_CODE_ALPHABET)


@pytest.mark.parametrize(
    ("typed", "normal"),
    [("ABCDE-FGHJK", "abcdefghjk"), (" abcde fghjk ", "abcdefghjk"), ("123 456", "123456")],
)
def test_codes_are_compared_in_their_normal_form(typed, normal):
    assert normalize_code(typed) == normal


# --- TOTP steps ---------------------------------------------------------------------------------


def test_a_code_matches_its_step_and_the_neighbouring_ones_only():
    secret = pyotp.random_base32()
    totp = pyotp.TOTP(secret)
    now_step = int(START) // STEP
    for offset in (-1, 0, 1):
        typed = totp.at(START + offset * STEP)
        assert matching_step(secret, typed, after=None, at=START) == now_step + offset
    for offset in (-2, 2):
        assert matching_step(secret, totp.at(START + offset * STEP), after=None, at=START) is None


def test_a_code_of_a_step_already_accepted_does_not_match():
    secret = pyotp.random_base32()
    now_step = int(START) // STEP
    typed = pyotp.TOTP(secret).at(START)
    assert matching_step(secret, typed, after=now_step, at=START) is None
    assert matching_step(secret, typed, after=now_step - 1, at=START) == now_step


@pytest.mark.parametrize("typed", ["", "12345", "1234567", "12345a", "١٢٣٤٥٦"])
def test_a_code_that_is_not_six_ascii_digits_never_matches(typed):
    assert matching_step(pyotp.random_base32(), typed, after=None, at=START) is None


# --- the lock -------------------------------------------------------------------------------------


def record_wrong_codes(user_id: int, count: int) -> None:
    def work(uow: UnitOfWork) -> None:
        for _ in range(count):
            failures.record(uow, user_id, PURPOSE_LOGIN)

    transaction(work)


def date_wrong_codes(seconds_ago: int) -> None:
    """Every wrong code recorded so far, as if recorded `seconds_ago`."""
    recorded_at = utcnow() - timedelta(seconds=seconds_ago)
    db.session.execute(update(Event).where(Event.type == MFA_FAILED).values(created_at=recorded_at))
    db.session.commit()


def test_the_lock_tells_how_long_to_wait(member_principal, clock):
    record_wrong_codes(member_principal.user_id, 5)
    with UnitOfWork() as uow:
        with pytest.raises(TooManyAttempts) as locked:
            failures.ensure_not_locked(uow, member_principal.user_id)
        failures.ensure_not_locked(uow, member_principal.user_id + 1)  # another user is not locked
    assert 1 <= locked.value.retry_after <= 300 and locked.value.limit == 5


def test_the_lock_lifts_once_the_wrong_codes_leave_the_five_minute_window(member_principal):
    record_wrong_codes(member_principal.user_id, 5)
    date_wrong_codes(290)
    with UnitOfWork() as uow, pytest.raises(TooManyAttempts) as locked:
        failures.ensure_not_locked(uow, member_principal.user_id)
    assert 9 <= locked.value.retry_after <= 11
    date_wrong_codes(301)
    with UnitOfWork() as uow:
        failures.ensure_not_locked(uow, member_principal.user_id)


def test_a_wrong_confirmation_code_counts_toward_the_lock(member_principal, clock):
    secret = MfaService().start_enrollment(member_principal).secret
    wrong = code(secret, clock, 5)
    for _ in range(5):
        with pytest.raises(ValidationError):
            MfaService().confirm_enrollment(member_principal, wrong)
    with pytest.raises(TooManyAttempts):
        MfaService().confirm_enrollment(member_principal, code(secret, clock))
    assert not stored_user(member_principal.user_id).mfa_enabled
