"""TOTP codes and recovery codes as arithmetic: no database, no Flask."""

from __future__ import annotations

import hmac
import secrets
import time

import pyotp

TOTP_DIGITS = 6
VALID_WINDOW = 1  # one step either side of now: clocks drift and people type slowly
RECOVERY_CODE_COUNT = 10
RECOVERY_CODE_LENGTH = 10
RECOVERY_CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to mix up
clock = time.time  # the time TOTP steps are read from (tests set it)


def normalize_code(code: str) -> str:
    """A code as typed, compared: lowercase, without spaces or dashes."""
    return "".join(code.split()).replace("-", "").lower()


def is_totp_code(code: str) -> bool:
    return len(code) == TOTP_DIGITS and code.isascii() and code.isdigit()


def matching_step(
    secret: str, code: str, *, after: int | None, at: float | None = None
) -> int | None:
    """The time step (now-1..now+1) whose code is `code`, if it is later than `after`."""
    if not is_totp_code(code):
        return None
    totp = pyotp.TOTP(secret)
    now = totp.timecode(clock() if at is None else at)
    for step in range(now - VALID_WINDOW, now + VALID_WINDOW + 1):
        if (after is None or step > after) and hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def new_recovery_code() -> str:
    raw = "".join(secrets.choice(RECOVERY_CODE_ALPHABET) for _ in range(RECOVERY_CODE_LENGTH))
    half = RECOVERY_CODE_LENGTH // 2
    return f"{raw[:half]}-{raw[half:]}"
