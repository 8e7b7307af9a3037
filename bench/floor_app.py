"""The floor for bench/http_bench.py: a bare Flask app that answers every path and method
with the same small envelope, served by gunicorn with Tally's own settings.

Whatever Tally does on top of Flask and gunicorn (routing, auth, validation, SQL,
caching, logs, metrics) shows up as the distance between its requests/s and this one's
in the same run; nothing here reads the request, logs, counts or touches a database.

    .venv/bin/gunicorn --config gunicorn.conf.py bench.floor_app:app
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from flask import Flask, Response, jsonify

app = Flask(__name__)

ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


@app.route("/", defaults={"path": ""}, methods=ALL_METHODS)
@app.route("/<path:path>", methods=ALL_METHODS)
def answer(path: str) -> Response:
    """The same envelope Tally writes (`data` and `meta` with a request id), for any path."""
    request_id = uuid.uuid4().hex
    response = jsonify(
        {
            "data": {"status": "ok"},
            "meta": {
                "requestId": request_id,
                "timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            },
        }
    )
    response.headers["X-Request-ID"] = request_id
    return response
