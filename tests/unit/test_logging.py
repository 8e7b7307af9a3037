"""Logs: one JSON object per line, and each request's line carries its id."""

from __future__ import annotations

import json
import logging
import secrets
import sys

from webapp.infra.logging import (
    LOG_FORMATTERS,
    JsonFormatter,
    TextFormatter,
    secret_path_prefixes,
    secret_paths,
)
from webapp.infra.settings import LOG_FORMATS
from webapp.services.mailed_links import LINK_PATHS


def log_lines(capsys) -> list[dict]:
    return [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.strip()]


def test_the_access_line_of_a_request_carries_its_request_id(client, capsys):
    capsys.readouterr()
    response = client.get("/healthz", headers={"X-Request-ID": "log-me-1"})
    lines = [line for line in log_lines(capsys) if line.get("logger") == "tally.request"]
    assert len(lines) == 1
    line = lines[0]
    assert line["requestId"] == "log-me-1" == response.headers["X-Request-ID"]
    assert line["method"] == "GET"
    assert line["path"] == "/healthz"
    assert line["status"] == 200
    assert isinstance(line["durationMs"], float | int)
    assert "userId" in line


def test_every_line_of_a_request_is_json(client, capsys):
    capsys.readouterr()
    client.post("/api/v1/auth/register", data="{", content_type="application/json")
    client.get("/no-such-page")
    output = capsys.readouterr().out
    lines = [line for line in output.splitlines() if line.strip()]
    assert lines
    for line in lines:
        assert isinstance(json.loads(line), dict)


def test_the_query_string_and_the_body_are_not_logged(client, capsys):
    capsys.readouterr()
    client.post(
        "/api/v1/auth/register?token=secret-token",
        json={"email": "a@example.com", "password": "hunter2-hunter2", "name": "A"},
    )
    output = capsys.readouterr().out
    assert "secret-token" not in output
    assert "hunter2-hunter2" not in output
    assert "$argon2" not in output


def test_the_formatter_outside_a_request():
    record = logging.LogRecord("tally.test", logging.WARNING, __file__, 1, "hello %s", ("x",), None)
    record.fields = {"answer": 42}
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "hello x"
    assert line["level"] == "WARNING"
    assert line["answer"] == 42
    assert "requestId" not in line


def test_the_masked_routes_are_the_routes_whose_path_carries_a_token(app):
    routes = {rule.rule for rule in app.url_map.iter_rules() if "token" in rule.arguments}
    assert routes == {"/reset-password/<token>", "/verify-email/<token>"}
    assert secret_path_prefixes(app.url_map) == {"/reset-password/", "/verify-email/"}
    assert set(secret_paths.prefixes) >= secret_path_prefixes(app.url_map)


def test_every_link_the_mails_carry_is_masked_to_its_route(app):
    for path in LINK_PATHS.values():
        assert secret_paths.mask(path.format(token="s3cr3t")) == path.format(token="<token>")


def test_a_line_masks_a_mailed_links_token_wherever_it_quotes_one(app):
    tokens = [secrets.token_urlsafe(32) for _ in range(4)]
    try:
        raise ValueError(f'no route for "/Verify-Email/{tokens[1]}"')
    except ValueError:
        exc_info = sys.exc_info()
    record = logging.LogRecord(
        "gunicorn.error",
        logging.ERROR,
        __file__,
        1,
        "Error handling request %s",
        (f"/reset-password/{tokens[0]}?next=/",),
        exc_info,
    )
    record.fields = {
        "seen": {"paths": [f"/api/v1/reset%252Dpassword/{tokens[2]}/x"]},
        "path": f'/verify-email/{tokens[3]}"quoted',
    }
    text = JsonFormatter().format(record)
    line = json.loads(text)  # masked before serialising: still one valid JSON object
    assert not any(token in text for token in tokens)
    assert line["message"] == "Error handling request /reset-password/<token>?next=/"
    assert line["seen"] == {"paths": ["/api/v1/reset-password/<token>"]}
    assert line["path"] == '/verify-email/<token>"quoted'
    assert 'no route for "/verify-email/<token>"' in line["exception"]


def secret_record(tokens: list[str]) -> logging.LogRecord:
    """A record quoting mailed links' tokens in its message, its fields and its traceback."""
    try:
        raise ValueError(f'no route for "/Verify-Email/{tokens[1]}"')
    except ValueError:
        exc_info = sys.exc_info()
    record = logging.LogRecord(
        "tally.request", logging.ERROR, __file__, 1, "hit %s", (f"/reset-password/{tokens[0]}",),
        exc_info,
    )  # fmt: skip
    record.fields = {
        "requestId": "text-rid-1",
        "path": f"/verify-email/{tokens[2]}",
        "seen": [f"/reset%2Dpassword/{tokens[3]}"],
        "status": 503,
        "userId": None,
    }
    return record


def test_a_text_line_masks_secrets_as_the_json_line_does_and_carries_the_request_id(app):
    tokens = [secrets.token_urlsafe(32) for _ in range(4)]
    text = TextFormatter().format(secret_record(tokens))
    assert not any(token in text for token in tokens)
    first, *traceback = text.splitlines()
    assert " ERROR   tally.request [text-rid-1] hit /reset-password/<token> " in first
    assert "path=/verify-email/<token>" in first and "status=503" in first
    assert '"/reset-password/<token>"' in first  # a list is shown as JSON, masked alike
    assert "userId" not in first  # nothing to say
    assert not first.startswith("{")
    assert 'no route for "/verify-email/<token>"' in "\n".join(traceback)
    as_json = json.loads(JsonFormatter().format(secret_record(tokens)))
    assert as_json["path"] in first and as_json["requestId"] == "text-rid-1"


def test_log_format_text_makes_every_request_line_text_with_its_request_id(make_app, capsys):
    client = make_app(LOG_FORMAT="text").test_client()
    capsys.readouterr()
    client.get("/healthz", headers={"X-Request-ID": "text-me-1"})
    (line,) = [x for x in capsys.readouterr().out.splitlines() if "tally.request" in x]
    assert " INFO    tally.request [text-me-1] request method=GET path=/healthz status=200" in line
    make_app()  # the next app logs JSON again: each app sets the format it was given
    capsys.readouterr()
    client.get("/healthz")
    assert log_lines(capsys)


def test_every_log_format_the_settings_accept_has_its_formatter():
    assert tuple(LOG_FORMATTERS) == LOG_FORMATS
