"""A secret shown once, on the page after the POST that made it (Post/Redirect/Get).

New recovery codes and a new personal access token are stored as digests, so the page after
their POST is the only place they can be read. Rather than answer the POST itself (a reload
would post again, and the forms would come back filled), the POST holds the secret here and
redirects; the next GET that asks for it takes it, and no later one finds it.

The session cookie is signed, not encrypted, so it never carries the secret: the secret is
XORed with a one-time pad of random bytes; the pad goes into the session and the result into
the cache (Redis, or the process's cache), for `HELD_FOR` seconds. Neither half alone tells
anything, and the cache entry is deleted by the one GET that shows it.
"""

from __future__ import annotations

import json
import logging
import secrets
from base64 import urlsafe_b64decode, urlsafe_b64encode
from typing import Any

from flask import Response, make_response, session

from webapp.infra.extensions import cache

log = logging.getLogger(__name__)

HELD_FOR = 300  # seconds between the POST and the GET that shows its secret


def _session_key(name: str) -> str:
    return f"show_once:{name}"


def _cache_key(ticket: str) -> str:
    return f"show-once:{ticket}"


def _xor(data: bytes, pad: bytes) -> bytes:
    return bytes(a ^ b for a, b in zip(data, pad, strict=True))


def hold_for_next_page(name: str, value: Any) -> bool:
    """Keep `value` (plain JSON data) for the next `take_held(name)` of this session.
    False when the cache refused it: the caller then shows the value in its own answer."""
    data = json.dumps(value).encode()
    pad = secrets.token_bytes(len(data))
    ticket = secrets.token_urlsafe(16)
    try:
        stored = cache.set(_cache_key(ticket), _xor(data, pad), timeout=HELD_FOR)
    except Exception as error:  # the cache is down: never fail the POST that made the secret
        log.warning(
            "could not hold a secret for the next page",
            extra={"fields": {"error": type(error).__name__}},
        )
        return False
    if stored is False:
        return False
    session[_session_key(name)] = f"{ticket}.{urlsafe_b64encode(pad).decode()}"
    return True


def take_held(name: str) -> Any | None:
    """The value held under `name` for this session, once; None when there is none (already
    shown, expired, or held by another session)."""
    held = session.pop(_session_key(name), None)
    if not isinstance(held, str) or "." not in held:
        return None
    ticket, _, encoded_pad = held.partition(".")
    try:
        sealed = cache.get(_cache_key(ticket))
        # Only the request whose delete removed the entry shows it (two tabs, one cookie).
        if not isinstance(sealed, bytes) or not cache.delete(_cache_key(ticket)):
            return None
        pad = urlsafe_b64decode(encoded_pad)
        return json.loads(_xor(sealed, pad)) if len(pad) == len(sealed) else None
    except Exception as error:
        log.warning(
            "could not take a held secret", extra={"fields": {"error": type(error).__name__}}
        )
        return None


def page_showing(html: str, *, secret: bool) -> Response:
    """A page's response; one that shows a secret is never stored (every logged-in page
    is `no-store` already; this one must be whatever that rule becomes)."""
    response = make_response(html)
    if secret:
        response.headers["Cache-Control"] = "no-store"
    return response
