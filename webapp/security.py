"""Password hashing (argon2id) and tokens (JWT): the cryptography, and nothing else.

The password hasher's cost comes from configuration (cheap in tests, above OWASP's
minimum elsewhere). `verify_dummy` spends the same work as a real check, so a login for
an unknown email takes as long as one with a wrong password.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

import jwt
from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError
from flask import Flask

from webapp.routing import parse_public_id

COMMON_PASSWORDS_FILE = Path(__file__).parent / "data" / "common_passwords.txt"


class Passwords:
    def __init__(self) -> None:
        self._hasher = PasswordHasher(type=Type.ID)
        self._dummy_hash = ""

    def init_app(self, app: Flask) -> None:
        self._hasher = PasswordHasher(
            time_cost=app.config["ARGON2_TIME_COST"],
            memory_cost=app.config["ARGON2_MEMORY_COST"],
            parallelism=app.config["ARGON2_PARALLELISM"],
            type=Type.ID,
        )
        self._dummy_hash = self._hasher.hash("tally-dummy-password")

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        return self._hasher.check_needs_rehash(password_hash)

    def verify_dummy(self, password: str) -> None:
        self.verify(self._dummy_hash or self.hash("tally-dummy-password"), password)


passwords = Passwords()


def load_common_passwords(path: Path = COMMON_PASSWORDS_FILE) -> frozenset[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return frozenset(line for line in lines if line and not line.startswith("#"))


# --- Tokens -----------------------------------------------------------------------------

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
