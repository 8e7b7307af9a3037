"""Logs: one JSON object per line, and each request's line carries its id."""

from __future__ import annotations

import json
import logging
import secrets
import sys

from webapp.infra.logging import JsonFormatter, secret_path_prefixes, secret_paths
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
