"""A chunked body sent straight to gunicorn (no proxy, no Content-Length) is held to the
64 KiB limit like one that declares its length: 413, the envelope on /api and the page
elsewhere, never a body cut at the limit and then parsed.

A real gunicorn on a free loopback port; each request is written to a raw socket, so the
chunks are exactly what a client sends.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from urllib.parse import urlencode

import pytest

from tests.support.gunicorn_server import Answer, development_gunicorn, send_raw

LIMIT = 64 * 1024
CHUNK_SIZE = 8 * 1024
REGISTER = "/api/v1/auth/register"
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"


@pytest.fixture(scope="module", params=["1", "4"], ids=["sync worker", "threaded worker"])
def port(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    workdir = tmp_path_factory.mktemp("chunked")
    with development_gunicorn(workdir, GUNICORN_THREADS=request.param) as (port, _log):
        yield port


def in_chunks(body: bytes) -> bytes:
    """`body` in the chunked transfer coding, ended by the zero-length chunk."""
    pieces = [body[start : start + CHUNK_SIZE] for start in range(0, len(body), CHUNK_SIZE)]
    return b"".join(b"%x\r\n%s\r\n" % (len(piece), piece) for piece in pieces) + b"0\r\n\r\n"


def post_chunked(port: int, path: str, content_type: str, body: bytes) -> Answer:
    headers = f"Content-Type: {content_type}\r\nTransfer-Encoding: chunked\r\n"
    return send_raw(port, "POST", path, headers, in_chunks(body))


def registration(password_length: int) -> bytes:
    body = {"email": "a@example.com", "password": "x" * password_length, "name": "A"}
    return json.dumps(body).encode()


def test_a_chunked_json_body_over_64_kib_is_the_413_envelope(port):
    body = registration(LIMIT + 1024)
    assert len(body) > LIMIT
    answer = post_chunked(port, REGISTER, JSON, body)
    assert answer.status == 413, answer.body[:200]
    assert answer.content_type.startswith(JSON)
    assert answer.json()["error"]["code"] == "PAYLOAD_TOO_LARGE"


def test_a_chunked_json_body_under_the_limit_is_read_whole(port):
    answer = post_chunked(port, REGISTER, JSON, registration(60_000))
    assert answer.status == 422, answer.body[:200]  # read whole, then refused by a rule
    error = answer.json()["error"]
    assert error["code"] == "VALIDATION_ERROR" and set(error["details"]) == {"password"}


def test_a_chunked_form_over_64_kib_is_the_413_page(port):
    body = urlencode({"email": "a@example.com", "password": "x" * LIMIT}).encode()
    answer = post_chunked(port, "/login", FORM, body)
    assert answer.status == 413, answer.body[:200]
    assert answer.content_type.startswith("text/html")
    assert b'class="error-status">413<' in answer.body
