"""Logs: one JSON object per line, and each request's line carries its id."""

from __future__ import annotations

import json
import logging

from webapp.logging import JsonFormatter


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
