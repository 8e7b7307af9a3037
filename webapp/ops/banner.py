"""What `make run` prints once the server listens (gunicorn's `when_ready` hook): where to
open it, who to log in as, and where mails go, in plain words rather than a log line.

Only in development with text logs (`LOG_FORMAT=text`, as `make run` sets): production and
the test suites start quietly, and a stream of JSON lines stays one JSON object a line.
"""

from __future__ import annotations

from collections.abc import Mapping

from webapp.infra.config import load_config
from webapp.infra.settings import MAIL_BACKENDS, Config, served_url
from webapp.ops.cli import DEFAULT_DEMO_PASSWORD
from webapp.services.demo import DEMO_ADMIN, DEMO_MEMBERS


def demo_logins(environ: Mapping[str, str]) -> list[str]:
    """The lines naming each demo user, with the password `flask seed-demo` gave them."""
    given = "DEMO_PASSWORD" in environ
    password = "the DEMO_PASSWORD you set" if given else f"password {DEFAULT_DEMO_PASSWORD}"
    people = [(email, "member") for email, _name in DEMO_MEMBERS] + [(DEMO_ADMIN[0], "admin")]
    width = max(len(email) for email, _role in people)
    return [
        f"Demo logins, each with {password}:",
        *(f"  {email:<{width}}  {role}" for email, role in people),
    ]


def mail_line(config: Config) -> str:
    if MAIL_BACKENDS["file"] == config.MAIL_BACKEND:
        return (
            f"Mails (email verification, password reset) are written as .eml files to "
            f"{config.MAIL_FILE_PATH}: open one to follow its link."
        )
    return f"Mails go out through MAIL_BACKEND={config.MAIL_BACKEND}."


def ready_banner(bind: str, environ: Mapping[str, str]) -> str | None:
    """The banner for a development server bound to `bind` that logs text; None otherwise."""
    config = load_config(environ)
    if type(config) is not Config or config.LOG_FORMAT != "text":
        return None
    address = served_url(bind)
    lines = [f"Tally is ready: open {address} in your browser.", ""]
    lines += [*demo_logins(environ), ""]
    lines.append(mail_line(config))
    if address != config.PUBLIC_URL:
        lines.append(f"Links in mails point to PUBLIC_URL, {config.PUBLIC_URL}.")
    lines.append("Stop the server with Ctrl+C.")
    return "\n".join(lines)
