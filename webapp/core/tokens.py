"""Tokens (JWT) and the digest tokens are stored by: the cryptography, and nothing else."""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass

import jwt

from webapp.core.ids import parse_public_id

ACCESS_TOKEN = "access"
REFRESH_TOKEN = "refresh"
REQUIRED_CLAIMS = ("sub", "sid", "type", "jti", "iat", "exp", "iss")
# We never issue these header fields, so a token that carries one was not made by us.
FOREIGN_HEADER_FIELDS = frozenset({"jku", "jwk", "x5u", "x5c", "kid", "crit"})


class InvalidToken(Exception):
    """The token is malformed, forged, expired, of the wrong type, or not ours."""


@dataclass(frozen=True)
class TokenClaims:
    user_id: int
    session_id: int
    type: str
    jti: str
    expires_at: int


@dataclass(frozen=True)
class TokenSettings:
    secret: str
    issuer: str
    algorithm: str
    access_ttl: int
    refresh_ttl: int


def encode_token(
    settings: TokenSettings,
    *,
    user_id: int,
    session_id: int,
    token_type: str,
    now: int | None = None,
) -> str:
    issued_at = int(time.time()) if now is None else now
    ttl = settings.access_ttl if token_type == ACCESS_TOKEN else settings.refresh_ttl
    payload = {
        "sub": str(user_id),
        "sid": str(session_id),
        "type": token_type,
        "jti": secrets.token_urlsafe(16),
        "iat": issued_at,
        "exp": issued_at + ttl,
        "iss": settings.issuer,
    }
    return jwt.encode(payload, settings.secret, algorithm=settings.algorithm)


def decode_token(
    settings: TokenSettings, token: str, *, expected_type: str, verify_expiry: bool = True
) -> TokenClaims:
    """Verify signature, algorithm, issuer, expiry and type; InvalidToken otherwise."""
    try:
        header = jwt.get_unverified_header(token)
        if FOREIGN_HEADER_FIELDS & set(header):
            raise InvalidToken("unexpected header field")
        payload = jwt.decode(
            token,
            settings.secret,
            algorithms=[settings.algorithm],
            issuer=settings.issuer,
            options={"require": list(REQUIRED_CLAIMS), "verify_exp": verify_expiry},
        )
    except (jwt.PyJWTError, ValueError, TypeError) as exc:
        raise InvalidToken(str(exc)) from exc
    if payload["type"] != expected_type:
        raise InvalidToken("wrong token type")
    return TokenClaims(
        user_id=_positive_id(payload["sub"]),
        session_id=_positive_id(payload["sid"]),
        type=payload["type"],
        jti=str(payload["jti"]),
        expires_at=int(payload["exp"]),
    )


def _positive_id(value: object) -> int:
    number = parse_public_id(value)
    if number is None:
        raise InvalidToken("malformed id")
    return number


def hash_token(token: str) -> str:
    """Refresh tokens are stored by this digest only, never as issued."""
    return hashlib.sha256(token.encode()).hexdigest()
