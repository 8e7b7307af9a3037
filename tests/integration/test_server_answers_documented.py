"""What gunicorn answers on its own, before the app sees a request, is documented for every
operation too: a request line or a header over its limits (gunicorn.conf.py), an Expect it
does not know, a Transfer-Encoding it cannot read, a header it cannot parse. Each is sent
to every operation of the document, through a real gunicorn started as `make run` does,
and its status and Content-Type must be among those the document lists for it.

Raw sockets: an HTTP client library would refuse to send most of these requests.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from answered_statuses import operations

PROJECT_ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
DEADLINE_SECONDS = 30
# Well over gunicorn's limits (limit_request_line 4094, limit_request_field_size 8190).
OVER_THE_LIMIT = 40_000

# What the server refuses before the app: (extra request-line query, extra header lines).
REFUSED_BY_THE_SERVER: dict[str, tuple[str, list[str]]] = {
    "an over-long request line": ("q=" + "a" * OVER_THE_LIMIT, []),
    "an over-large header": ("", ["X-Padding: " + "a" * OVER_THE_LIMIT]),
    "an unknown Expect": ("", ["Expect: something-else"]),
    "an unknown Transfer-Encoding": ("", ["Transfer-Encoding: zstd-ish"]),
    "a header it cannot parse": ("", ["Bad Header: x"]),
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def exchange(port: int, method: str, target: str, headers: list[str]) -> tuple[int, str, bytes]:
    """Send one raw request; (status, Content-Type, body) of the answer."""
    lines = [f"{method} {target} HTTP/1.1", "Host: 127.0.0.1", "Connection: close", *headers]
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    fields = dict(line.split(":", 1) for line in header_lines)
    content_type = {name.lower(): value for name, value in fields.items()}.get("content-type", "")
    return int(status_line.split()[1]), content_type.split(";")[0].strip(), body


@pytest.fixture(scope="module")
def gunicorn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """gunicorn with gunicorn.conf.py, as `make run` serves (no data needed: nothing here
    reaches the database)."""
    folder = tmp_path_factory.mktemp("served")
    port = free_port()
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("TALLY_", "PROMETHEUS_", "RATELIMIT_", "TEST_"))
    }
    env.update(
        TALLY_ENV="development",
        DATABASE_URL=f"sqlite:///{folder / 'x.db'}",
        REDIS_URL="",
        PROMETHEUS_MULTIPROC_DIR=str(folder / "metrics"),
        BIND=f"127.0.0.1:{port}",
        WEB_CONCURRENCY="1",
        LOG_LEVEL="WARNING",
    )
    with (folder / "gunicorn.log").open("w") as log:
        process = subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "wsgi:app"],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_until_serving(process, port)
            yield port
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)


def wait_until_serving(process: subprocess.Popen[bytes], port: int) -> None:
    deadline = time.monotonic() + DEADLINE_SECONDS
    while time.monotonic() < deadline:
        assert process.poll() is None, "gunicorn exited early"
        try:
            if exchange(port, "GET", "/healthz", [])[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    pytest.fail("gunicorn did not start in time")


def documented_content(document: dict[str, Any], operation: Any, status: int) -> set[str]:
    """The content types the document lists for this status of this operation."""
    response = operation["responses"].get(str(status))
    if response is None:
        return set()
    if "$ref" in response:
        response = document["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
    return set(response.get("content", {}))


def test_every_answer_of_the_server_itself_is_documented_for_every_operation(gunicorn):
    status, _, body = exchange(gunicorn, "GET", "/api/v1/openapi.json", [])
    assert status == 200
    document = json.loads(body)
    undocumented, answered = [], set()
    for method, url, operation in operations(document):
        for what, (query, headers) in REFUSED_BY_THE_SERVER.items():
            status, content_type, _ = exchange(
                gunicorn, method, f"{url}?{query}" if query else url, headers
            )
            answered.add(status)
            if content_type not in documented_content(document, operation, status):
                undocumented.append((method, url, what, status, content_type))
    assert not undocumented, "\n".join(map(str, undocumented))
    assert answered == {400, 414, 417, 431, 501}
