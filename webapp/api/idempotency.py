"""The `Idempotency-Key` header on POSTs that move money: the edge's half of it.

The operation reads the key (its syntax first, a 400) and parses the request before the
idempotency service takes the key's lock, so a request that fails validation never
touches the key. The service stores the answer's wire data with the effect and hands it
back, first time or replayed; the response is written from that one value.
"""

from __future__ import annotations

import hashlib
import json

from flask import Response, request
from pydantic_core import to_json

from webapp.edge.envelope import success_envelope_encoded
from webapp.services.idempotency import Outcome, check_key

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"


def request_key() -> str | None:
    """The request's Idempotency-Key, or None without one; a malformed key is a 400."""
    key = request.headers.get(HEADER)
    return None if key is None else check_key(key)


def request_fingerprint() -> str:
    """Method, path and the body's JSON in canonical form: what "the same request" means."""
    # Numbers with a fraction arrive as Decimals (webapp.edge.json_provider): repr keeps them exact.
    body = json.dumps(
        request.get_json(silent=True), sort_keys=True, separators=(",", ":"), default=repr
    )
    return hashlib.sha256(f"{request.method} {request.path}\n{body}".encode()).hexdigest()


def outcome_response(outcome: Outcome) -> Response:
    """The stored answer in the envelope, marked when it is a replay."""
    # pydantic's writer, as for every other answer: the first send and a replay are the same bytes.
    headers = {REPLAYED_HEADER: "true"} if outcome.replayed else None
    return success_envelope_encoded(to_json(outcome.data), outcome.status, headers=headers)
