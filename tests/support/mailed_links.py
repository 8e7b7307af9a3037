"""Every way a request may bring a mailed link's token in its path (`/reset-password/<token>`)
other than the link itself: a wrong method, a trailing slash, an extra segment, a doubled
slash, percent-encoding (once or twice, of the route or of the token), another case, under
/api. The tests of the logs send them all and look for the tokens in what was logged."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask

from webapp.infra.logging import carries_secret

SURFACES = ("", "/api", "/api/v1")
EVERY_METHOD = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "PROPFIND"})


@dataclass(frozen=True)
class LinkRequest:
    method: str
    path: str  # as sent on the request line: percent-encoding is the client's
    token: str  # the secret in it, fresh for each request


def percent_encoded(text: str, times: int = 1) -> str:
    """Every byte of `text` percent-encoded, then the `%` of that encoded again `times - 1`."""
    encoded = "".join(f"%{byte:02X}" for byte in text.encode())
    return encoded.replace("%", "%" + "25" * (times - 1))


# Paths that carry a token after a route's fixed start (`/reset-password/`), by how they differ.
VARIANTS: dict[str, Callable[[str, str], str]] = {
    "trailing slash": lambda prefix, token: f"{prefix}{token}/",
    "extra segment": lambda prefix, token: f"{prefix}{token}/extra",
    "doubled slash": lambda prefix, token: f"{prefix}/{token}",
    "encoded slash": lambda prefix, token: f"{prefix[:-1]}%2F{token}",
    "slash encoded twice": lambda prefix, token: f"{prefix[:-1]}%252f{token}",
    "encoded route": lambda prefix, token: f"/{percent_encoded(prefix[1:])}{token}",
    "route encoded twice": lambda prefix, token: f"/{percent_encoded(prefix[1:], 2)}{token}",
    "encoded token": lambda prefix, token: f"{prefix}{percent_encoded(token)}",
    "upper case": lambda prefix, token: f"{prefix.upper()}{token}",
}


def link_requests(app: Flask) -> list[LinkRequest]:
    """For every route whose path carries a secret: each method it does not take on the
    link itself, and GET and POST on each variant on each surface; a new token each."""
    requests = []
    for rule in app.url_map.iter_rules():
        if not carries_secret(rule):
            continue
        prefix = rule.rule.partition("<")[0]
        for method in sorted(EVERY_METHOD - set(rule.methods or ())):
            token = secrets.token_urlsafe(32)
            requests.append(LinkRequest(method, f"{prefix}{token}", token))
        for surface in SURFACES:
            for method in ("GET", "POST"):
                for variant in VARIANTS.values():
                    token = secrets.token_urlsafe(32)
                    requests.append(LinkRequest(method, surface + variant(prefix, token), token))
    return requests
