"""Mail through an outbox: queued with the change that causes it, sent by a worker.

    queue_mail(uow, kind="password_reset", to=user.email, user_id=user.id, link=...)

renders `templates/mail/<kind>.txt` and `.html`, and adds the mail to the outbox in the
caller's transaction: if the change rolls back, no mail exists. Once the transaction
commits, a `mail.send` task is queued (webapp/infra/task_queue.py) and a worker (`flask
worker`) sends it: no request waits on SMTP, nor on the queue (a queue that is down is only
logged). Sending leases the row for a while, so that one attempt runs once whatever the
number of workers, sends outside any transaction, then marks it sent (and empties its
bodies, which may hold a single-use link) or records the failure and queues the next try
after a growing wait (MAIL_FIRST_RETRY, doubling). The outbox stays the truth: the
`mail.sweep` task, every minute on every worker, sends whatever is due that a crash or a
queue outage left behind, and `flask send-mail` sends every unsent mail at once. Failures
are logged by mail id and kind, never with a body.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import current_app, render_template
from flask_mailman import EmailMultiAlternatives
from huey import crontab

from webapp.infra import task_queue
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
SEND_TASK = "mail.send"
SWEEP_TASK = "mail.sweep"
LEASE = timedelta(minutes=2)  # longer than any SMTP timeout
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
    uow.on_commit(lambda: task_queue.enqueue(SEND_TASK, mail_id))
    return mail


@task_queue.task(SEND_TASK)
def send_queued(mail_id: int) -> None:
    """A worker's task: send one committed mail, unless another sender has it or sent it."""
    deliver([mail_id])


@task_queue.periodic_task(SWEEP_TASK, crontab(), at_start=True)
def sweep() -> None:
    """Every minute, and as a worker starts: send what is due and not held, whatever left
    it behind (a crash, a queue that was down)."""
    deliver()


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
    """MAIL_FIRST_RETRY (30 s) after the first failure, doubling, at most an hour."""
    first = timedelta(seconds=current_app.config["MAIL_FIRST_RETRY"])
    return min(first * 2 ** max(attempts - 1, 0), LONGEST_RETRY)


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
    _queue_retries([mail for mail in leased if mail.id in failed])
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


def _queue_retries(failed: list[_Leased]) -> None:
    """The next try of each failed mail, when its wait is over (the sweep would find it too)."""
    for mail in failed:
        if mail.attempts < MAX_MAIL_ATTEMPTS:
            wait = retry_wait(mail.attempts).total_seconds()
            task_queue.enqueue(SEND_TASK, mail.id, delay=wait)


def unsent_count() -> int:
    with UnitOfWork() as uow:
        return uow.outbox.count_unsent()
