"""`make run`'s banner: once the server listens, the address BIND serves, the demo logins
and where mails are written, in plain words; nothing in any other mode."""

from __future__ import annotations

import pytest

from webapp.ops.banner import ready_banner
from webapp.ops.cli import DEFAULT_DEMO_PASSWORD
from webapp.services.demo import DEMO_ADMIN, DEMO_MEMBERS

RUN = {"LOG_FORMAT": "text", "MAIL_FILE_PATH": "/srv/tally/mail"}


def test_the_banner_names_the_address_the_demo_logins_and_the_mail_folder():
    banner = ready_banner("127.0.0.1:5123", {**RUN, "BIND": "127.0.0.1:5123"})
    assert banner is not None
    lines = banner.splitlines()
    assert lines[0] == "Tally is ready: open http://127.0.0.1:5123 in your browser."
    assert f"password {DEFAULT_DEMO_PASSWORD}" in banner
    for email, _name in DEMO_MEMBERS:
        assert any(line.split() == [email, "member"] for line in lines), email
    assert any(line.split() == [DEMO_ADMIN[0], "admin"] for line in lines)
    assert ".eml files to /srv/tally/mail: open one to follow its link." in banner
    assert "PUBLIC_URL" not in banner  # mails link to the address above (PUBLIC_URL follows BIND)
    assert "{" not in banner  # plain words, not a log line


def test_a_server_on_every_interface_is_opened_through_the_loopback():
    banner = ready_banner("0.0.0.0:8080", {**RUN, "BIND": "0.0.0.0:8080"})
    assert banner is not None and "open http://127.0.0.1:8080 in" in banner
    assert "PUBLIC_URL" not in banner


def test_a_server_bound_elsewhere_than_bind_says_where_mails_link():
    banner = ready_banner("127.0.0.1:6000", RUN)  # gunicorn --bind, BIND unset
    assert banner is not None
    assert "Links in mails point to PUBLIC_URL, http://127.0.0.1:5000." in banner


def test_the_banner_never_repeats_a_chosen_demo_password_and_names_a_public_url():
    banner = ready_banner(
        "127.0.0.1:5000",
        {**RUN, "DEMO_PASSWORD": "my-own-demo-secret", "PUBLIC_URL": "https://tally.test"},
    )
    assert banner is not None
    assert "my-own-demo-secret" not in banner and DEFAULT_DEMO_PASSWORD not in banner
    assert "the DEMO_PASSWORD you set" in banner
    assert "Links in mails point to PUBLIC_URL, https://tally.test." in banner


def test_other_mail_backends_are_named():
    banner = ready_banner("127.0.0.1:5000", {**RUN, "MAIL_BACKEND": "console"})
    assert banner is not None and "Mails go out through MAIL_BACKEND=console." in banner


@pytest.mark.parametrize(
    "environ",
    [
        {"LOG_FORMAT": "json"},  # a stream of JSON lines stays one object a line
        {},
        {"TALLY_ENV": "testing", "LOG_FORMAT": "text"},
    ],
    ids=["json-logs", "default-logs", "testing"],
)
def test_no_banner_outside_make_runs_mode(environ):
    assert ready_banner("127.0.0.1:5000", environ) is None
