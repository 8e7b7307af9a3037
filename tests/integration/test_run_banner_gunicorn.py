"""`make run`'s mode on a real gunicorn (development, `LOG_FORMAT=text`): once it listens it
prints the address BIND serves, the demo logins and the mail folder in plain words, and its
log lines are text with the request id, a mailed link's token masked as in JSON lines."""

from __future__ import annotations

import secrets

from tests.support.gunicorn_server import development_gunicorn, send_raw
from webapp.services.demo import DEMO_ADMIN


def test_make_runs_mode_prints_the_banner_and_logs_text(tmp_path):
    token = secrets.token_urlsafe(32)
    mail_folder = tmp_path / "mail"
    with development_gunicorn(
        tmp_path, LOG_FORMAT="text", LOG_LEVEL="INFO", MAIL_FILE_PATH=str(mail_folder)
    ) as (port, log_path):
        answer = send_raw(port, "GET", f"/verify-email/{token}", "X-Request-ID: run-banner-1\r\n")
    logged = log_path.read_text()
    assert answer.status == 503  # its database has no tables: an error line with a traceback
    assert f"Tally is ready: open http://127.0.0.1:{port} in your browser." in logged
    assert logged.count("Tally is ready") == 1
    assert DEMO_ADMIN[0] in logged and f"{mail_folder}: open one" in logged
    assert token not in logged
    (access,) = [line for line in logged.splitlines() if " tally.request " in line]
    assert "[run-banner-1] request method=GET path=/verify-email/<token> status=503" in access
    assert not any(line.startswith("{") for line in logged.splitlines())
