"""Email verification and password reset against a real SMTP server (aiosmtpd): the mails
are read as delivered and their links followed. A link works once, expires, and dies when a
newer one is sent; a reset answers alike for known and unknown emails, ends every session
and token; an SMTP outage loses no mail; no token ever reaches a log line or an event."""

from __future__ import annotations

import json
import statistics
import time
from datetime import timedelta

from sqlalchemy import select

from tests.support.audit_log import events
from tests.support.clients import PASSWORD, bearer
from tests.support.envelopes import assert_error, assert_success
from tests.support.pages import soup
from tests.support.smtp_server import (  # noqa: F401  (the *_fixture are fixtures, registered by name)
    PUBLIC_URL,
    SmtpServer,
    html_of,
    link_token,
    make_smtp_app_fixture,
    smtp_app_fixture,
    smtp_server_fixture,
    text_of,
)
from tests.support.task_worker import queue_settings, running_worker
from webapp.core.tokens import hash_token
from webapp.infra.extensions import db
from webapp.models import Event, LinkToken, OutboxMail, PersonalAccessToken
from webapp.models.base import utcnow
from webapp.models.security import PURPOSE_RESET_PASSWORD, PURPOSE_VERIFY_EMAIL
from webapp.services.mail import unsent_count
from webapp.services.unit_of_work import transaction

EMAIL = "member@example.com"
NEW_PASSWORD = "a brand new passphrase"
VERIFY = "/verify-email/"
RESET = "/reset-password/"
REGISTER = "/api/v1/auth/register"
RESET_REQUEST = "/api/v1/auth/password-reset"
RESET_CONFIRM = "/api/v1/auth/password-reset/confirm"
VERIFY_API = "/api/v1/auth/verify-email"
RESEND = "/api/v1/users/me/verify-email"


def register(client, email: str = EMAIL):
    body = {"email": email, "password": PASSWORD, "name": "Member"}
    return client.post(REGISTER, json=body)


def log_in(client, email: str = EMAIL, password: str = PASSWORD):
    return client.post("/api/v1/auth/login", json={"email": email, "password": password})


def me(client, headers):
    return assert_success(client.get("/api/v1/users/me", headers=headers))


def age_links(app, purpose: str, by: timedelta) -> None:
    """Move every link of this purpose `by` into the past, as if that time went by."""
    with app.app_context():
        rows = db.session.scalars(select(LinkToken).where(LinkToken.purpose == purpose)).all()
        for row in rows:
            row.expires_at -= by
        db.session.commit()


def verification_mail(smtp: SmtpServer, count: int = 1):
    return smtp.wait_for(count, to=EMAIL, subject="Confirm your email")[-1]


def reset_mail(smtp: SmtpServer, count: int = 1):
    return smtp.wait_for(count, to=EMAIL, subject="Reset your Tally password")[-1]


def settle(app) -> None:
    """Until the worker has sent every queued mail."""
    deadline = time.monotonic() + 5
    with app.app_context():
        while unsent_count():
            assert time.monotonic() < deadline, "mails still queued"
            time.sleep(0.001)


# --- email verification ---------------------------------------------------------------------


def test_registration_mails_a_link_that_verifies_once_through_the_page(smtp_app, smtp_server):
    client = smtp_app.test_client()
    assert register(client).status_code == 201
    mail = verification_mail(smtp_server)
    assert mail["To"] == EMAIL
    token = link_token(mail, VERIFY)
    assert len(token) >= 43  # 256 bits, url-safe
    assert f"{PUBLIC_URL}{VERIFY}{token}" in html_of(mail)
    headers = bearer(log_in(client).get_json()["data"])

    shown = client.get(VERIFY + token)  # what a mail scanner's prefetch does
    assert shown.status_code == 200
    assert (
        soup(shown).select_one("#verify-form button").get_text(strip=True)
        == "Verify my email address"
    )
    assert me(client, headers)["emailVerified"] is False

    done = client.post(VERIFY + token)
    assert done.status_code == 302 and done.headers["Location"].endswith("/login")
    assert me(client, headers)["emailVerified"] is True
    assert [e.subject for e in events(smtp_app, "user.email_verified")] == ["user:1"]

    again = client.post(VERIFY + token)
    assert again.status_code == 200 and soup(again).select_one("#link-dead")
    assert soup(client.get(VERIFY + token)).select_one("#link-dead")
    assert_error(client.post(VERIFY_API, json={"token": token}), 422, "VALIDATION_ERROR")
    assert len(events(smtp_app, "user.email_verified")) == 1


def test_a_verification_link_works_once_through_the_api(smtp_app, smtp_server):
    client = smtp_app.test_client()
    register(client)
    token = link_token(verification_mail(smtp_server), VERIFY)
    done = client.post(VERIFY_API, json={"token": token})
    assert done.status_code == 204 and done.get_data() == b""
    error = assert_error(client.post(VERIFY_API, json={"token": token}), 422, "VALIDATION_ERROR")
    assert set(error["details"]) == {"token"}


def test_a_new_verification_link_voids_the_older_one(smtp_app, smtp_server):
    client = smtp_app.test_client()
    register(client)
    old = link_token(verification_mail(smtp_server), VERIFY)
    headers = bearer(log_in(client).get_json()["data"])
    assert assert_success(client.post(RESEND, headers=headers), 202)["message"]
    new = link_token(verification_mail(smtp_server, 2), VERIFY)
    assert new != old

    dead = assert_error(client.post(VERIFY_API, json={"token": old}), 422, "VALIDATION_ERROR")
    assert client.post(VERIFY_API, json={"token": new}).status_code == 204
    used = assert_error(client.post(VERIFY_API, json={"token": new}), 422, "VALIDATION_ERROR")
    assert dead == used  # void and used: one answer


def test_a_verification_link_expires_after_a_day(smtp_app, smtp_server):
    client = smtp_app.test_client()
    register(client)
    token = link_token(verification_mail(smtp_server), VERIFY)
    age_links(smtp_app, PURPOSE_VERIFY_EMAIL, timedelta(hours=23, minutes=59))
    assert soup(client.get(VERIFY + token)).select_one("#verify-form button")  # still good
    age_links(smtp_app, PURPOSE_VERIFY_EMAIL, timedelta(minutes=2))
    assert soup(client.get(VERIFY + token)).select_one("#link-dead")
    assert_error(client.post(VERIFY_API, json={"token": token}), 422, "VALIDATION_ERROR")
    headers = bearer(log_in(client).get_json()["data"])
    assert me(client, headers)["emailVerified"] is False


# --- password reset ---------------------------------------------------------------------------


def test_a_reset_link_sets_the_password_once_through_the_page(smtp_app, smtp_server):
    client = smtp_app.test_client()
    register(client)
    assert client.post("/forgot-password", data={"email": EMAIL}).status_code == 302
    mail = reset_mail(smtp_server)
    token = link_token(mail, RESET)
    assert "30 minutes" in text_of(mail)

    form = client.get(RESET + token)
    assert form.status_code == 200 and soup(form).select_one("input[name=new_password]")
    done = client.post(RESET + token, data={"new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert done.status_code == 302 and done.headers["Location"].endswith("/login")
    assert log_in(client).status_code == 401
    assert log_in(client, password=NEW_PASSWORD).status_code == 200

    changed = smtp_server.wait_for(1, to=EMAIL, subject="password was changed")[-1]
    assert "was reset" in text_of(changed)
    assert f"{PUBLIC_URL}/forgot-password" in text_of(changed)

    again = client.post(RESET + token, data={"new_password": PASSWORD, "confirm": PASSWORD})
    assert again.status_code == 200 and soup(again).select_one("#link-dead")
    body = {"token": token, "newPassword": PASSWORD}
    assert_error(client.post(RESET_CONFIRM, json=body), 422, "VALIDATION_ERROR")
    assert log_in(client, password=NEW_PASSWORD).status_code == 200
    assert [e.data for e in events(smtp_app, "user.password_reset")] == [
        {"sessionsEnded": 0, "tokensRevoked": 0}
    ]


def test_a_reset_link_works_once_through_the_api(smtp_app, smtp_server):
    client = smtp_app.test_client()
    register(client)
    assert_success(client.post(RESET_REQUEST, json={"email": EMAIL}), 202)
    token = link_token(reset_mail(smtp_server), RESET)
    done = client.post(RESET_CONFIRM, json={"token": token, "newPassword": NEW_PASSWORD})
    assert done.status_code == 204 and done.get_data() == b""
    again = client.post(RESET_CONFIRM, json={"token": token, "newPassword": PASSWORD})
    assert set(assert_error(again, 422, "VALIDATION_ERROR")["details"]) == {"token"}
    assert log_in(client, password=NEW_PASSWORD).status_code == 200


def test_a_reset_link_expires_after_30_minutes(smtp_app, smtp_server):
    client = smtp_app.test_client()
    register(client)
    client.post(RESET_REQUEST, json={"email": EMAIL})
    token = link_token(reset_mail(smtp_server), RESET)
    age_links(smtp_app, PURPOSE_RESET_PASSWORD, timedelta(minutes=29))
    assert soup(client.get(RESET + token)).select_one("input[name=new_password]")
    age_links(smtp_app, PURPOSE_RESET_PASSWORD, timedelta(minutes=2))
    assert soup(client.get(RESET + token)).select_one("#link-dead")
    body = {"token": token, "newPassword": NEW_PASSWORD}
    assert_error(client.post(RESET_CONFIRM, json=body), 422, "VALIDATION_ERROR")
    assert log_in(client).status_code == 200


def test_a_newer_reset_link_voids_the_older_one(smtp_app, smtp_server):
    client = smtp_app.test_client()
    register(client)
    client.post(RESET_REQUEST, json={"email": EMAIL})
    old = link_token(reset_mail(smtp_server), RESET)
    client.post(RESET_REQUEST, json={"email": EMAIL})
    new = link_token(reset_mail(smtp_server, 2), RESET)
    assert old != new
    body = {"token": old, "newPassword": NEW_PASSWORD}
    assert_error(client.post(RESET_CONFIRM, json=body), 422, "VALIDATION_ERROR")
    assert client.post(RESET_CONFIRM, json={"token": new, "newPassword": NEW_PASSWORD}).status_code
    assert log_in(client, password=NEW_PASSWORD).status_code == 200


def test_a_password_change_voids_the_open_reset_links(smtp_app, smtp_server):
    client = smtp_app.test_client()
    register(client)
    headers = bearer(log_in(client).get_json()["data"])
    client.post(RESET_REQUEST, json={"email": EMAIL})
    token = link_token(reset_mail(smtp_server), RESET)
    change = {"currentPassword": PASSWORD, "newPassword": NEW_PASSWORD}
    assert client.patch("/api/v1/users/me", headers=headers, json=change).status_code == 200
    changed = smtp_server.wait_for(1, to=EMAIL, subject="password was changed")[-1]
    assert "was changed" in text_of(changed)

    body = {"token": token, "newPassword": "yet another passphrase"}
    assert_error(client.post(RESET_CONFIRM, json=body), 422, "VALIDATION_ERROR")
    assert log_in(client, password=NEW_PASSWORD).status_code == 200


def test_a_reset_answers_alike_for_a_known_and_an_unknown_email(
    make_smtp_app, smtp_server, tmp_path
):
    app = make_smtp_app(PASSWORD_RESET_RATE_LIMIT="1000/hour", **queue_settings(tmp_path))
    with running_worker(app):
        answers_alike(app, smtp_server)


def answers_alike(app, smtp_server: SmtpServer) -> None:
    client = app.test_client()
    register(client)
    settle(app)

    def ask(email: str) -> tuple[float, int, dict]:
        started = time.perf_counter()
        response = client.post(RESET_REQUEST, json={"email": email})
        elapsed = time.perf_counter() - started
        settle(app)  # the mail goes off the request, through the worker: not timed
        body = response.get_json()
        body.pop("meta")
        return elapsed, response.status_code, body

    for _ in range(3):  # warm both paths up
        ask(EMAIL), ask("nobody@example.com")
    known, unknown = [], []
    for _ in range(30):
        known.append(ask(EMAIL))
        unknown.append(ask("nobody@example.com"))

    answers = {(status, json.dumps(body, sort_keys=True)) for _, status, body in known + unknown}
    assert len(answers) == 1
    ((status, _body),) = answers
    assert status == 202
    # Medians of interleaved pairs: a busy machine's pauses hit both sides alike and move a
    # mean by tens of per cent, while a real oracle (a hash or a mail sent on one path only)
    # shifts every sample of one side.
    known_median = statistics.median(t for t, _, _ in known)
    unknown_median = statistics.median(t for t, _, _ in unknown)
    assert max(known_median, unknown_median) <= 1.25 * min(known_median, unknown_median), (
        known_median,
        unknown_median,
    )
    assert len(smtp_server.wait_for(33, subject="Reset your Tally password")) == 33
    assert smtp_server.received(to="nobody@example.com") == []


def test_a_reset_ends_every_session_and_personal_token(smtp_app, smtp_server):
    client = smtp_app.test_client()
    register(client)
    pair = log_in(client).get_json()["data"]
    browser = smtp_app.test_client()
    assert browser.post("/login", data={"email": EMAIL, "password": PASSWORD}).status_code == 302
    assert browser.get("/settings").status_code == 200
    personal = make_personal_token(smtp_app, client, bearer(pair))

    client.post(RESET_REQUEST, json={"email": EMAIL})
    token = link_token(reset_mail(smtp_server), RESET)
    assert client.post(
        RESET_CONFIRM, json={"token": token, "newPassword": NEW_PASSWORD}
    ).status_code

    assert_error(client.get("/api/v1/users/me", headers=bearer(pair)), 401, "UNAUTHORIZED")
    refreshed = client.post("/api/v1/auth/refresh", json={"refreshToken": pair["refreshToken"]})
    assert_error(refreshed, 401, "UNAUTHORIZED")
    logged_out = browser.get("/settings")
    assert logged_out.status_code == 302 and "/login" in logged_out.headers["Location"]
    with smtp_app.app_context():
        row = db.session.scalar(
            select(PersonalAccessToken).where(
                PersonalAccessToken.token_hash == hash_token(personal)
            )
        )
        assert row is not None and row.revoked_at is not None
    assert client.get("/api/v1/users/me", headers=bearer(personal)).status_code == 401
    (event,) = events(smtp_app, "user.password_reset")
    assert event.data == {"sessionsEnded": 2, "tokensRevoked": 1}
    changed = smtp_server.wait_for(1, to=EMAIL, subject="password was changed")[-1]
    assert "Every session and personal access token was ended." in text_of(changed)


def make_personal_token(app, client, headers) -> str:
    """A personal access token of the member: through POST /api/v1/tokens when the API has
    it, else stored with the repository."""
    if "api.create_token" in app.view_functions:
        created = client.post(
            "/api/v1/tokens", headers=headers, json={"name": "script", "scopes": ["read"]}
        )
        return assert_success(created, 201)["token"]
    token = "tly_" + "a" * 43

    def work(uow) -> None:
        uow.access_tokens.create(
            user_id=1,
            name="script",
            scopes="read",
            token_hash=hash_token(token),
            expires_at=utcnow() + timedelta(days=30),
        )

    with app.app_context():
        transaction(work)
    return token


# --- an SMTP outage -------------------------------------------------------------------------


def test_with_smtp_down_requests_succeed_and_flask_send_mail_delivers_later(smtp_app, smtp_server):
    client = smtp_app.test_client()
    smtp_server.stop()
    assert register(client).status_code == 201
    assert client.post(RESET_REQUEST, json={"email": EMAIL}).status_code == 202
    with smtp_app.app_context():
        queued = db.session.scalars(select(OutboxMail).order_by(OutboxMail.id)).all()
        assert [m.kind for m in queued] == ["verify_email", "password_reset"]
        assert all(m.sent_at is None and m.attempts == 1 and m.last_error for m in queued)
        assert all(m.next_attempt_at is not None for m in queued)

    smtp_server.start()
    result = smtp_app.test_cli_runner().invoke(args=["send-mail"])
    assert result.exit_code == 0, result.output
    assert "Sent 2 mails; 0 failed; 0 still queued." in result.output
    verify, reset = verification_mail(smtp_server), reset_mail(smtp_server)
    with smtp_app.app_context():
        sent = db.session.scalars(select(OutboxMail)).all()
        assert all(m.sent_at is not None and m.text_body == "" for m in sent)

    # The links mailed late work as well.
    assert client.post(VERIFY_API, json={"token": link_token(verify, VERIFY)}).status_code == 204
    body = {"token": link_token(reset, RESET), "newPassword": NEW_PASSWORD}
    assert client.post(RESET_CONFIRM, json=body).status_code == 204


# --- nothing secret in the logs -----------------------------------------------------------------


def test_no_token_or_link_reaches_a_log_line_or_an_event(smtp_app, smtp_server, caplog, capsys):
    caplog.set_level("DEBUG")
    client = smtp_app.test_client()
    register(client)
    verify = link_token(verification_mail(smtp_server), VERIFY)
    client.get(VERIFY + verify)
    client.post(VERIFY + verify)
    client.post("/forgot-password", data={"email": EMAIL})
    first = link_token(reset_mail(smtp_server), RESET)
    client.get(RESET + first)
    client.post(RESET + first, data={"new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    client.post(RESET + first, data={"new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    client.post(RESET_REQUEST, json={"email": EMAIL})
    second = link_token(reset_mail(smtp_server, 2), RESET)
    client.post(RESET_CONFIRM, json={"token": second, "newPassword": PASSWORD})
    client.post(VERIFY_API, json={"token": verify})

    secrets = [verify, first, second, hash_token(verify), hash_token(first), hash_token(second)]
    out = capsys.readouterr()
    logged = [*caplog.messages, *(r.getMessage() for r in caplog.records), out.out, out.err]
    logged += [json.dumps(vars(r), default=str) for r in caplog.records]
    for text in logged:
        for secret in secrets:
            assert secret not in text
    paths = [
        json.loads(line)["path"]
        for line in out.out.splitlines()
        if line.startswith("{") and json.loads(line).get("logger") == "tally.request"
    ]
    assert "/verify-email/<token>" in paths and "/reset-password/<token>" in paths
    assert not any(p.startswith((VERIFY, RESET)) and "<token>" not in p for p in paths)
    with smtp_app.app_context():
        for event in db.session.scalars(select(Event)):
            text = json.dumps({"subject": event.subject, "data": event.data})
            assert not any(secret in text for secret in secrets), event.type
        assert db.session.scalar(select(LinkToken.id).where(LinkToken.token_hash == verify)) is None
