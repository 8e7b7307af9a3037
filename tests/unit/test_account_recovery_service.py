"""The account-recovery services: mailed links (random, stored hashed, single use, one
answer for every dead link), the reset's equal paths and answer floor, REQUIRE_VERIFIED_EMAIL,
every password change voiding reset links and mailing the member, and the access log
naming a link's route instead of its token."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import select
from werkzeug.routing import Map, Rule

from tests.support.audit_log import events
from tests.support.clients import PASSWORD
from tests.support.mfa import sent_mails
from webapp.core.errors import EmailNotVerified, ValidationError
from webapp.core.tokens import hash_token
from webapp.infra.extensions import db
from webapp.infra.logging import logged_path
from webapp.models import LinkToken, OutboxMail
from webapp.models.base import utcnow
from webapp.models.security import PURPOSE_RESET_PASSWORD, PURPOSE_VERIFY_EMAIL
from webapp.services import password_reset
from webapp.services.auth import AuthService
from webapp.services.email_verification import EmailVerificationService, require_verified_email
from webapp.services.mailed_links import DEAD_LINK, DrawnToken, issue_link, link_works
from webapp.services.password_reset import PasswordResetService
from webapp.services.unit_of_work import transaction
from webapp.services.users.passwords import PasswordService
from webapp.services.users.registration import RegistrationService

pytestmark = pytest.mark.usefixtures("app_context")

EMAIL = "member@example.com"
NEW_PASSWORD = "a brand new passphrase"


@pytest.fixture
def user_id() -> int:
    return RegistrationService().register(email=EMAIL, password=PASSWORD, name="Member").id


def issue(user_id: int, purpose: str = PURPOSE_RESET_PASSWORD, ttl: int = 60) -> str:
    link = transaction(lambda uow: issue_link(uow, user_id, purpose, ttl))
    return link.rsplit("/", 1)[1]


def links_of(user_id: int, purpose: str) -> list[LinkToken]:
    statement = select(LinkToken).where(LinkToken.user_id == user_id, LinkToken.purpose == purpose)
    return list(db.session.scalars(statement.order_by(LinkToken.id)))


# --- mailed links -----------------------------------------------------------------------------


def test_a_drawn_token_is_256_random_bits_kept_only_as_its_digest(user_id):
    drawn = {DrawnToken.draw().token for _ in range(50)}
    assert len(drawn) == 50 and all(len(t) == 43 for t in drawn)
    token = issue(user_id)
    (row,) = links_of(user_id, PURPOSE_RESET_PASSWORD)
    assert row.token_hash == hash_token(token) != token
    assert token not in {row.token_hash, str(row.id)}


def test_a_link_works_until_it_is_spent_and_asking_spends_nothing(user_id):
    token = issue(user_id)
    assert link_works(token, PURPOSE_RESET_PASSWORD)
    assert link_works(token, PURPOSE_RESET_PASSWORD)
    assert not link_works(token, PURPOSE_VERIFY_EMAIL)  # of the other purpose
    PasswordResetService().reset(token, NEW_PASSWORD)
    assert not link_works(token, PURPOSE_RESET_PASSWORD)


def test_every_dead_link_is_the_same_error(app, user_id):
    used = issue(user_id)
    PasswordResetService().reset(used, NEW_PASSWORD)
    voided = issue(user_id)
    expired = issue(user_id)  # voids `voided`
    (row,) = [
        r
        for r in links_of(user_id, PURPOSE_RESET_PASSWORD)
        if r.voided_at is None and r.used_at is None
    ]
    row.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    other_purpose = issue(user_id, PURPOSE_VERIFY_EMAIL)
    for token in (used, voided, expired, "never-issued", other_purpose):
        with pytest.raises(ValidationError) as error:
            PasswordResetService().reset(token, "yet another passphrase")
        assert (error.value.message, error.value.details) == (DEAD_LINK, {"token": DEAD_LINK})
    assert len(events(app, "user.password_reset")) == 1


def test_issuing_a_link_voids_the_open_ones_of_its_purpose_only(user_id):
    issue(user_id, PURPOSE_VERIFY_EMAIL)
    first = issue(user_id)
    issue(user_id)
    resets = links_of(user_id, PURPOSE_RESET_PASSWORD)
    assert [r.voided_at is not None for r in resets] == [True, False]
    assert not link_works(first, PURPOSE_RESET_PASSWORD)
    verifications = links_of(user_id, PURPOSE_VERIFY_EMAIL)
    assert [r.voided_at is None for r in verifications] == [False, True]  # registration's, ours


# --- password reset ---------------------------------------------------------------------------


def test_an_unknown_email_writes_one_event_and_no_link_or_mail(app, user_id):
    links_before = len(db.session.scalars(select(LinkToken)).all())
    PasswordResetService().request_reset("nobody@example.com", ip="10.0.0.1")
    assert len(db.session.scalars(select(LinkToken)).all()) == links_before
    assert all(m.kind != "password_reset" for m in db.session.scalars(select(OutboxMail)))
    (event,) = events(app, "user.password_reset_requested")
    assert event.subject == "email:nobody@example.com"
    assert event.data == {"ip": "10.0.0.1", "notSent": "unknown_email"}


def test_both_reset_paths_take_at_least_the_floor(user_id, monkeypatch):
    monkeypatch.setattr(password_reset, "ANSWER_FLOOR_SECONDS", 0.2)
    for email in (EMAIL, "nobody@example.com"):
        started = time.monotonic()
        PasswordResetService().request_reset(email)
        assert time.monotonic() - started >= 0.2


def test_the_unknown_path_runs_the_known_paths_void_and_render(user_id, monkeypatch):
    calls = []
    monkeypatch.setattr(password_reset, "render_mail", lambda kind, **kw: calls.append(kind))
    PasswordResetService().request_reset("nobody@example.com")
    assert calls == ["password_reset"]


def test_a_reset_revokes_personal_tokens_and_every_session(app, user_id):
    def add_token(uow) -> None:
        uow.access_tokens.create(
            user_id=user_id,
            name="script",
            scopes="read write",
            token_hash=hash_token("tly_x"),
            expires_at=utcnow() + timedelta(days=1),
        )

    transaction(add_token)
    AuthService().acting_as(user_id)
    PasswordResetService().reset(issue(user_id), NEW_PASSWORD)
    (event,) = events(app, "user.password_reset")
    assert event.data == {"sessionsEnded": 0, "tokensRevoked": 1}


# --- every password change ----------------------------------------------------------------------


def test_a_password_change_voids_reset_links_and_mails_the_member(app, user_id):
    token = issue(user_id)
    PasswordService().change_password(
        user_id, current_password=PASSWORD, new_password=NEW_PASSWORD, keep_session_id=0
    )
    assert not link_works(token, PURPOSE_RESET_PASSWORD)
    (mail,) = [m for m in sent_mails(app) if m.subject.endswith("password was changed")]
    assert mail.to == [EMAIL] and "was changed" in mail.body
    assert "Your other sessions were ended." in mail.body


# --- verification -------------------------------------------------------------------------------


def test_verification_is_required_only_when_configured(app, user_id):
    member = AuthService().acting_as(user_id)
    require_verified_email(member)  # off by default
    app.config["REQUIRE_VERIFIED_EMAIL"] = True
    with pytest.raises(EmailNotVerified):
        require_verified_email(member)
    EmailVerificationService().verify(issue(user_id, PURPOSE_VERIFY_EMAIL))
    require_verified_email(AuthService().acting_as(user_id))


# --- the access log -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "path", "logged"),
    [
        ("/reset-password/<token>", "/reset-password/s3cr3t", "/reset-password/<token>"),
        ("/verify-email/<token>", "/verify-email/s3cr3t", "/verify-email/<token>"),
        ("/accounts/<int:account_id>", "/accounts/7", "/accounts/7"),
        (None, "/no/such/page", "/no/such/page"),
    ],
)
def test_the_access_log_names_a_links_route_not_its_token(rule, path, logged):
    bound = next(Map([Rule(rule)]).iter_rules()) if rule else None
    assert logged_path(bound, path) == logged
