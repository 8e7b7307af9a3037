"""The `Idempotency-Key` header on POSTs that move money."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from functools import wraps
from typing import Any, ParamSpec

from flask import Response, request

from webapp.api.auth_guard import principal
from webapp.api.envelope import api_success
from webapp.services.idempotency import IdempotencyService

P = ParamSpec("P")

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"


def request_fingerprint() -> str:
    """Method, path and the body's JSON in canonical form: what "the same request" means."""
    body = json.dumps(request.get_json(silent=True), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(f"{request.method} {request.path}\n{body}".encode()).hexdigest()


def idempotent(view: Callable[P, Response]) -> Callable[P, Response]:
    """Honour Idempotency-Key: apply once, replay the first answer to a repeat.

    Goes inside `require_auth` and outside the schema validation: a request that fails
    validation releases its key, so it is never stored.
    """

    @wraps(view)
    def keyed(*args: P.args, **kwargs: P.kwargs) -> Response:
        key = request.headers.get(HEADER)
        if key is None:
            return view(*args, **kwargs)
        produced: list[Response] = []

        def produce() -> tuple[int, Any]:
            response = view(*args, **kwargs)
            produced.append(response)
            return response.status_code, response.get_json()["data"]

        outcome = IdempotencyService().run(principal().user_id, key, request_fingerprint(), produce)
        if outcome.replayed:
            return api_success(outcome.data, outcome.status, headers={REPLAYED_HEADER: "true"})
        return produced[-1]  # a retried transaction runs the view again: the last one committed

    return keyed
