"""A real SMTP server for tests: aiosmtpd on a spare loopback port, keeping what it receives.

    from tests.support.smtp_server import smtp_app_fixture, smtp_server_fixture  # noqa: F401
    def test_x(smtp_server, smtp_app): ...   # smtp_app sends through it (MAIL_BACKEND=smtp)

`stop()` takes it down (connections are then refused, as with an SMTP outage) and
`start()` brings it back on the same port. Each received mail is a parsed
`email.message.EmailMessage`; `links(mail)` finds the site's links in its text part.
"""

from __future__ import annotations

import logging
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from flask import Flask

PUBLIC_URL = "http://tally.test"
LINK = re.compile(re.escape(PUBLIC_URL) + r"(/[A-Za-z0-9_./-]+)")


def spare_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _Keeper:
    """The aiosmtpd handler: every message accepted, parsed and kept."""

    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        mail = message_from_bytes(envelope.original_content, policy=policy.default)
        assert isinstance(mail, EmailMessage)
        with self.server.lock:
            self.server.messages.append(mail)
            self.server.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 Message accepted for delivery"


class SmtpServer:
    def __init__(self, port: int | None = None) -> None:
        self.host = "127.0.0.1"
        self.port = port or spare_port()
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.lock = threading.Lock()
        self._controller: Controller | None = None

    def start(self) -> None:
        # aiosmtpd logs every line it receives: the test server's chatter, not the app's.
        logging.getLogger("mail.log").setLevel(logging.WARNING)
        self._controller = Controller(_Keeper(self), hostname=self.host, port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def running(self) -> bool:
        return self._controller is not None

    def received(self, to: str | None = None, subject: str | None = None) -> list[EmailMessage]:
        """The mails received so far, to one address and/or with a subject containing text."""
        with self.lock:
            mails = list(self.messages)
        return [
            m
            for m in mails
            if (to is None or m["To"] == to) and (subject is None or subject in m["Subject"])
        ]

    def wait_for(self, count: int, timeout: float = 5.0, **match: Any) -> list[EmailMessage]:
        """At least `count` matching mails, waiting for a background sender if need be."""
        deadline = time.monotonic() + timeout
        while len(found := self.received(**match)) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"expected {count} mails like {match}, got {len(found)}")
            time.sleep(0.01)
        return found


def text_of(mail: EmailMessage) -> str:
    part = mail.get_body(preferencelist=("plain",))
    assert part is not None
    return part.get_content()


def html_of(mail: EmailMessage) -> str:
    part = mail.get_body(preferencelist=("html",))
    assert part is not None
    return part.get_content()


def links(mail: EmailMessage) -> list[str]:
    """The paths of the site's links in a mail's text part, in order."""
    return LINK.findall(text_of(mail))


def link_token(mail: EmailMessage, prefix: str) -> str:
    """The token of the mail's one link under `prefix` ("/verify-email/")."""
    (path,) = [p for p in links(mail) if p.startswith(prefix)]
    return path.removeprefix(prefix)


# Registered under their `name`: import these into a test module (the function names differ,
# so that a test's parameters do not shadow the imports).
@pytest.fixture(name="smtp_server")
def smtp_server_fixture() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture(name="make_smtp_app")
def make_smtp_app_fixture(
    app: Flask, make_app: Callable[..., Flask], smtp_server: SmtpServer
) -> Callable[..., Flask]:
    """Build an app that sends its mails through `smtp_server`, on the database `app`
    emptied, with extra environment settings."""

    def build(**environ: str) -> Flask:
        settings = {
            "MAIL_BACKEND": "smtp",
            "MAIL_SERVER": smtp_server.host,
            "MAIL_PORT": str(smtp_server.port),
            "MAIL_TIMEOUT": "5",
            "PUBLIC_URL": PUBLIC_URL,
        }
        return make_app(**(settings | environ))

    return build


@pytest.fixture(name="smtp_app")
def smtp_app_fixture(make_smtp_app: Callable[..., Flask]) -> Flask:
    return make_smtp_app()
