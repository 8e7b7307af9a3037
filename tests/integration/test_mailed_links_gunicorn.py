"""A mailed link's token never reaches a real gunicorn's output, whatever path or method
brings it (tests/support/mailed_links.py): not in the access lines, nor in an error's traceback
(its database has no tables, so a link that is looked up fails with a logged 503), nor
in a line of gunicorn's own.

A real gunicorn on a free loopback port; each request line is written to a raw socket,
percent-encoding exactly as the client chose it.
"""

from __future__ import annotations

import json

from tests.support.gunicorn_server import development_gunicorn, send_raw
from tests.support.mailed_links import link_requests


def test_no_token_reaches_gunicorns_output(app, tmp_path):
    requests = link_requests(app)
    with development_gunicorn(tmp_path, LOG_LEVEL="INFO") as (port, log_path):
        statuses = {send_raw(port, r.method, r.path).status for r in requests}
    logged = log_path.read_text()
    assert statuses >= {404, 405, 503}  # missed, refused, and looked up in a broken database
    assert '"database unavailable"' in logged  # an error line, with its traceback
    leaked = [(r.method, r.path) for r in requests if r.token in logged]
    assert leaked == []
    access_paths = [
        line["path"]
        for line in map(json.loads, logged.splitlines())
        if line.get("logger") == "tally.request"
    ]
    assert len(access_paths) == len(requests)
    assert {"/reset-password/<token>", "/verify-email/<token>"} <= set(access_paths)
