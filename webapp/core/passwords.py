"""Password hashing (argon2id): the cryptography, and nothing else.

The hasher's cost comes from configuration (cheap in tests, above OWASP's minimum
elsewhere). `verify_dummy` spends the same work as a real check, so a login for an unknown
email takes as long as one with a wrong password.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

COMMON_PASSWORDS_FILE = Path(__file__).parents[1] / "data" / "common_passwords.txt"


@dataclass(frozen=True)
class PasswordCost:
    """argon2id's work per hash: passes, memory in KiB, and threads."""

    time_cost: int
    memory_cost: int
    parallelism: int


class Passwords:
    def __init__(self) -> None:
        self._hasher = PasswordHasher(type=Type.ID)
        self._dummy_hash = ""

    def configure(self, cost: PasswordCost) -> None:
        self._hasher = PasswordHasher(
            time_cost=cost.time_cost,
            memory_cost=cost.memory_cost,
            parallelism=cost.parallelism,
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
