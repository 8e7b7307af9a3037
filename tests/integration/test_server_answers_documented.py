"""What gunicorn answers on its own, before the app sees a request, is documented for every
operation too: a request line or a header over its limits (gunicorn.conf.py), an Expect it
does not know, a Transfer-Encoding it cannot read, a header it cannot parse. Each is sent
to every operation of the document, through a real gunicorn started as `make run` does,
and its status and Content-Type must be among those the document lists for it.

Raw sockets: an HTTP client library would refuse to send most of these requests.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.answered_statuses import operations
from tests.support.gunicorn_server import development_gunicorn, send_raw

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


def exchange(port: int, method: str, target: str, headers: list[str]) -> tuple[int, str, bytes]:
    """Send one raw request; (status, media type, body) of the answer."""
    answer = send_raw(port, method, target, "".join(f"{line}\r\n" for line in headers))
    return answer.status, answer.content_type.split(";")[0].strip(), answer.body


@pytest.fixture(scope="module")
def gunicorn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """gunicorn with gunicorn.conf.py, as `make run` serves (no data needed: nothing here
    reaches the database)."""
    with development_gunicorn(tmp_path_factory.mktemp("served")) as (port, _log):
        yield port


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
