"""The `Idempotency-Key` header on POSTs that move money."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from flask import Response, request

from webapp.api.auth_guard import principal
from webapp.edge.envelope import success_envelope
from webapp.services.idempotency import IdempotencyService

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"


def request_fingerprint() -> str:
    """Method, path and the body's JSON in canonical form: what "the same request" means."""
    # Numbers with a fraction arrive as Decimals (webapp.edge.json_provider): repr keeps them exact.
    body = json.dumps(
        request.get_json(silent=True), sort_keys=True, separators=(",", ":"), default=repr
    )
    return hashlib.sha256(f"{request.method} {request.path}\n{body}".encode()).hexdigest()


def run_idempotently(produce_response: Callable[[], Response]) -> Response:
    """Honour Idempotency-Key: apply once, replay the first answer to a repeat.

    `produce_response` parses and validates the request too: a request that fails
    validation releases its key, so it is never stored.
    """
    key = request.headers.get(HEADER)
    if key is None:
        return produce_response()
    produced: list[Response] = []

    def produce() -> tuple[int, Any]:
        response = produce_response()
        produced.append(response)
        return response.status_code, response.get_json()["data"]

    outcome = IdempotencyService().run(principal().user_id, key, request_fingerprint(), produce)
    if outcome.replayed:
        return success_envelope(outcome.data, outcome.status, headers={REPLAYED_HEADER: "true"})
    return produced[-1]  # a retried transaction runs the view again: the last one committed
