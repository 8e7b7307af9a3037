"""Mail through an outbox: queued with the change that causes it, sent after the commit.

    queue_mail(uow, kind="password_reset", to=user.email, user_id=user.id, link=...)

renders `templates/mail/<kind>.txt` and `.html`, and adds the mail to the outbox in the
caller's transaction: if the change rolls back, no mail exists. Once the transaction
commits, the mail is handed to the sender: a worker thread of this process
(MAIL_DELIVERY=background, the default: no request waits on SMTP) or the request itself
(inline, for tests). Sending leases the row for a while, sends outside any transaction,
then marks it sent (and empties its bodies, which may hold a single-use link) or records
the failure with a growing wait. A mail that could not go stays queued: `flask send-mail`
retries every unsent mail (from cron, say), so an SMTP outage loses nothing and fails no
request. Failures are logged by mail id and kind, never with a body.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import Flask, current_app, render_template
from flask_mailman import EmailMultiAlternatives

from webapp.models import OutboxMail
from webapp.models.base import utcnow
from webapp.models.mail import MAX_MAIL_ATTEMPTS
from webapp.services.unit_of_work import UnitOfWork, transaction

log = logging.getLogger(__name__)

# Every kind of mail, and its subject line.
SUBJECTS = {
    "verify_email": "Confirm your email address for Tally",
    "password_reset": "Reset your Tally password",
    "password_changed": "Your Tally password was changed",
    "mfa_disabled": "A second factor was turned off on your Tally account",
    "money_received": "Money arrived in your Tally account",
    "payment_requested": "A member asks you for money on Tally",
}
LEASE = timedelta(minutes=2)  # longer than any SMTP timeout
FIRST_RETRY = timedelta(seconds=30)
LONGEST_RETRY = timedelta(hours=1)
BATCH = 50
ERROR_LENGTH = 500


def public_link(path: str) -> str:
    """An absolute link for a mail: PUBLIC_URL and a path of the site."""
    return f"{current_app.config['PUBLIC_URL']}{path}"


def render_mail(kind: str, **context: Any) -> tuple[str, str, str]:
    """A mail's subject, text and HTML bodies, from `templates/mail/<kind>.{txt,html}`."""
    subject = SUBJECTS[kind]
    values = {"subject": subject, **context}
    text_body = render_template(f"mail/{kind}.txt", **values)
    return subject, text_body, render_template(f"mail/{kind}.html", **values)


def queue_mail(
    uow: UnitOfWork, *, kind: str, to: str, user_id: int | None, **context: Any
) -> OutboxMail:
    """Render a mail and queue it in this transaction; it is sent once the transaction commits."""
    subject, text_body, html_body = render_mail(kind, **context)
    mail = uow.outbox.create(
        kind=kind,
        recipient=to,
        user_id=user_id,
        subject=subject,
        text_body=text_body,
        html_body=html_body,
    )
    mail_id = mail.id
    uow.on_commit(lambda: sender.deliver_soon([mail_id]))
    return mail


@dataclass(frozen=True)
class _Leased:
    id: int
    kind: str
    recipient: str
    subject: str
    text_body: str
    html_body: str | None
    attempts: int


@dataclass(frozen=True)
class DeliveryReport:
    sent: int = 0
    failed: int = 0

    def __add__(self, other: DeliveryReport) -> DeliveryReport:
        return DeliveryReport(self.sent + other.sent, self.failed + other.failed)


def retry_wait(attempts: int) -> timedelta:
    """30 s after the first failure, doubling, at most an hour."""
    return min(FIRST_RETRY * 2 ** max(attempts - 1, 0), LONGEST_RETRY)


def deliver(ids: Iterable[int] | None = None, *, retrying: bool = False) -> DeliveryReport:
    """Send what is queued: the mails `ids` (just committed), or every unsent one.

    `retrying` (flask send-mail) takes every unsent mail nobody is sending, without waiting
    for its next try and whatever its attempts; otherwise only due ones, up to the limit.
    """
    wanted = None if ids is None else list(ids)
    report = DeliveryReport()
    while True:
        leased = _lease(wanted, retrying=retrying)
        if not leased:
            return report
        report += _send(leased)
        if wanted is not None:
            return report


def _lease(ids: list[int] | None, *, retrying: bool) -> list[_Leased]:
    def work(uow: UnitOfWork) -> list[_Leased]:
        now = utcnow()
        rows = uow.outbox.claim_due(
            now,
            limit=BATCH,
            ids=ids,
            wait_for_retry=not retrying,
            max_attempts=None if retrying else MAX_MAIL_ATTEMPTS,
        )
        for row in rows:
            row.leased_until = now + LEASE
            row.attempts += 1
        return [
            _Leased(r.id, r.kind, r.recipient, r.subject, r.text_body, r.html_body, r.attempts)
            for r in rows
        ]

    return transaction(work)


def _send(leased: list[_Leased]) -> DeliveryReport:
    mailman = current_app.extensions["mailman"]
    sent: list[int] = []
    failed: dict[int, str] = {}
    connection = mailman.get_connection()
    try:
        for mail in leased:
            message = EmailMultiAlternatives(
                subject=mail.subject,
                body=mail.text_body,
                from_email=current_app.config["MAIL_DEFAULT_SENDER"],
                to=[mail.recipient],
                connection=connection,
            )
            if mail.html_body:
                message.attach_alternative(mail.html_body, "text/html")
            try:
                message.send()
            except Exception as exc:  # SMTP down, refused, timed out: the mail waits
                failed[mail.id] = f"{type(exc).__name__}: {exc}"[:ERROR_LENGTH]
                log.warning(
                    "mail not sent; it stays queued",
                    extra={
                        "fields": {
                            "mailId": mail.id,
                            "mailKind": mail.kind,
                            "attempt": mail.attempts,
                            "error": type(exc).__name__,
                        }
                    },
                )
            else:
                sent.append(mail.id)
    finally:
        try:
            connection.close()
        except Exception:  # a connection that never opened may fail to close
            log.debug("mail connection close failed", exc_info=True)
    _record(leased, sent, failed)
    return DeliveryReport(sent=len(sent), failed=len(failed))


def _record(leased: list[_Leased], sent: list[int], failed: dict[int, str]) -> None:
    attempts = {mail.id: mail.attempts for mail in leased}

    def work(uow: UnitOfWork) -> None:
        now = utcnow()
        rows = uow.outbox.lock_for_update([*sent, *failed])
        for mail_id in sent:
            row = rows[mail_id]
            row.sent_at, row.leased_until, row.last_error = now, None, None
            row.text_body, row.html_body = "", None  # a sent link is nobody's business
        for mail_id, error in failed.items():
            row = rows[mail_id]
            row.leased_until = None
            row.last_error = error
            row.next_attempt_at = now + retry_wait(attempts[mail_id])

    if sent or failed:
        transaction(work)


class MailSender:
    """Hands committed mails to one worker thread per process (or sends them inline)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None
        self._pid: int | None = None

    def deliver_soon(self, ids: list[int]) -> None:
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        if app.config.get("MAIL_DELIVERY") == "inline":
            deliver(ids)
            return
        self._executor().submit(self._deliver_in, app, ids)

    def _executor(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._pool is None or self._pid != os.getpid():  # a forked worker starts its own
                self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tally-mail")
                self._pid = os.getpid()
            return self._pool

    @staticmethod
    def _deliver_in(app: Flask, ids: list[int]) -> None:
        with app.app_context():
            try:
                deliver(ids)
            except Exception:
                log.exception("mail delivery failed; the mails stay queued for flask send-mail")

    def wait(self) -> None:
        """Until every mail handed over so far has been tried (tests, shutdown)."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True)


sender = MailSender()


def unsent_count() -> int:
    with UnitOfWork() as uow:
        return uow.outbox.count_unsent()
