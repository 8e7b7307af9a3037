"""Mail through the task queue and a real worker: the request only queues, a worker (huey's
consumer, in threads or as `flask worker`) sends, against a real SMTP server. SMTP down,
a worker killed mid-send, a queue down at commit: the mail still goes out; two workers
send each mail once."""

from __future__ import annotations

import signal
import socket
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from tests.support.clients import PASSWORD
from tests.support.gunicorn_server import free_port
from tests.support.smtp_server import (  # noqa: F401  (the *_fixture are fixtures, registered by name)
    PUBLIC_URL,
    SmtpServer,
    make_smtp_app_fixture,
    smtp_app_fixture,
    smtp_server_fixture,
)
from tests.support.task_worker import queue_settings, running_worker, worker_process
from webapp.infra import task_queue
from webapp.infra.extensions import db
from webapp.models import OutboxMail
from webapp.models.base import utcnow
from webapp.services.mail import SEND_TASK, SWEEP_TASK

SUBJECT = "Confirm your email"


def register(app, email: str) -> None:
    body = {"email": email, "password": PASSWORD, "name": "Member"}
    assert app.test_client().post("/api/v1/auth/register", json=body).status_code == 201


def outbox(app) -> list[OutboxMail]:
    with app.app_context():
        rows = db.session.scalars(select(OutboxMail).order_by(OutboxMail.id)).all()
        db.session.expunge_all()
        return list(rows)


def wait_until(check: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "waited in vain"
        time.sleep(0.02)


@pytest.fixture
def queued_app(make_smtp_app, tmp_path: Path):
    """An app that sends through `smtp_server`, whose tasks wait for a worker."""
    return make_smtp_app(**queue_settings(tmp_path))


def test_the_request_only_queues_and_a_worker_sends(queued_app, smtp_server: SmtpServer):
    register(queued_app, "first@example.com")
    (row,) = outbox(queued_app)
    assert row.sent_at is None and row.attempts == 0  # the request did not send it
    with queued_app.app_context():
        assert task_queue.queue_of().waiting() == 1
    assert smtp_server.received() == []

    with running_worker(queued_app):
        (mail,) = smtp_server.wait_for(1, to="first@example.com", subject=SUBJECT)
        register(queued_app, "second@example.com")
        smtp_server.wait_for(1, to="second@example.com", subject=SUBJECT)
        wait_until(lambda: not task_queue.queue_of(queued_app).waiting())
    assert f"{PUBLIC_URL}/verify-email/" in mail.get_body(("plain",)).get_content()
    assert all(row.sent_at is not None and row.attempts == 1 for row in outbox(queued_app))
    assert len(smtp_server.received()) == 2


def test_with_smtp_down_the_mail_waits_and_goes_once_smtp_is_back(
    make_smtp_app, smtp_server: SmtpServer, tmp_path: Path
):
    app = make_smtp_app(MAIL_FIRST_RETRY="1", **queue_settings(tmp_path))
    smtp_server.stop()
    with running_worker(app):
        register(app, "member@example.com")
        wait_until(lambda: outbox(app)[0].last_error is not None)
        (row,) = outbox(app)
        assert row.sent_at is None and "Connection" in (row.last_error or "")
        smtp_server.start()
        # The retry the failure queued (1 s, then 2 s, …) sends it: no command, no sweep.
        smtp_server.wait_for(1, to="member@example.com", subject=SUBJECT)
    (row,) = outbox(app)
    assert row.sent_at is not None and row.last_error is None
    assert len(smtp_server.received()) == 1


@pytest.fixture(name="hanging_smtp_port")
def hanging_smtp_port_fixture() -> Iterator[int]:
    """A port that takes connections and never says a word: an SMTP server that hangs."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        yield server.getsockname()[1]


def test_a_worker_killed_mid_send_and_started_again_still_sends(
    queued_app, smtp_server: SmtpServer, hanging_smtp_port: int, tmp_path: Path
):
    settings = {
        "DATABASE_URL": queued_app.config["SQLALCHEMY_DATABASE_URI"],
        "TASK_QUEUE_URL": queued_app.config["TASK_QUEUE_URL"],
        "TASK_QUEUE_IMMEDIATE": "false",
        "MAIL_BACKEND": "smtp",
        "MAIL_SERVER": smtp_server.host,
        "MAIL_TIMEOUT": "30",
        "PUBLIC_URL": PUBLIC_URL,
        "LOG_LEVEL": "INFO",
    }
    register(queued_app, "member@example.com")
    log = tmp_path / "worker.log"
    first = worker_process(log, **settings, MAIL_PORT=str(hanging_smtp_port))
    try:
        wait_until(lambda: outbox(queued_app)[0].leased_until is not None, timeout=20)
        first.send_signal(signal.SIGKILL)  # mid-send: it holds the mail and waits on SMTP
        first.wait(5)
    finally:
        first.kill()
    (row,) = outbox(queued_app)
    assert row.sent_at is None and row.attempts == 1
    # Two minutes go by: the dead worker's lease runs out.
    with queued_app.app_context():
        db.session.execute(update(OutboxMail).values(leased_until=utcnow() - timedelta(seconds=1)))
        db.session.commit()

    second = worker_process(log, **settings, MAIL_PORT=str(smtp_server.port))
    try:
        # It sweeps as it starts: the mail goes now, not at the next minute.
        smtp_server.wait_for(1, timeout=20, to="member@example.com", subject=SUBJECT)
    finally:
        second.send_signal(signal.SIGINT)
        assert second.wait(10) == 0, log.read_text()
    (row,) = outbox(queued_app)
    assert row.sent_at is not None and row.attempts == 2
    assert len(smtp_server.received()) == 1


def test_with_the_queue_down_at_commit_the_change_commits_and_the_sweep_sends_it(
    make_smtp_app, smtp_server: SmtpServer, tmp_path: Path, caplog
):
    nowhere = f"redis://127.0.0.1:{free_port()}/0"  # nobody listens: refused at once
    down = make_smtp_app(TASK_QUEUE_IMMEDIATE="false", TASK_QUEUE_URL=nowhere)
    started = time.monotonic()
    register(down, "member@example.com")
    assert time.monotonic() - started < 1.0  # refused at once: the request did not wait
    (row,) = outbox(down)
    assert row.sent_at is None and row.attempts == 0  # committed, and never tried
    assert "task not queued; its work stays for the periodic sweep" in caplog.messages

    working = make_smtp_app(**queue_settings(tmp_path))
    with running_worker(working):  # the queue is back: a worker's sweep finds the mail
        smtp_server.wait_for(1, to="member@example.com", subject=SUBJECT)
    assert outbox(working)[0].sent_at is not None


def test_two_workers_send_each_mail_once(make_smtp_app, smtp_server: SmtpServer, tmp_path):
    settings = {"REGISTER_RATE_LIMIT": "1000/minute", **queue_settings(tmp_path)}
    apps = [make_smtp_app(**settings) for _ in range(2)]
    emails = [f"member{n}@example.com" for n in range(12)]
    for email in emails:
        register(apps[0], email)
    with apps[0].app_context():  # every mail asked for twice more, and swept thrice
        for row in outbox(apps[0]):
            task_queue.enqueue(SEND_TASK, row.id)
            task_queue.enqueue(SEND_TASK, row.id)
        for _ in range(3):
            task_queue.enqueue(SWEEP_TASK)
    with running_worker(apps[0], threads=2), running_worker(apps[1], threads=2):
        smtp_server.wait_for(len(emails), subject=SUBJECT)
        time.sleep(0.5)  # whatever else would be sent, twice, has gone by now
        wait_until(lambda: not task_queue.queue_of(apps[0]).waiting())
    received = [mail["To"] for mail in smtp_server.received()]
    assert sorted(received) == sorted(emails)
    assert all(row.attempts == 1 and row.sent_at is not None for row in outbox(apps[0]))
