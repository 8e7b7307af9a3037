"""What production must be given before it starts: strong, distinct secrets, mail settings,
and REDIS_URL when several workers share the work. Every broken rule is named at once."""

from __future__ import annotations

import math
from collections import Counter

from pydantic import BaseModel, ValidationError, model_validator

from webapp.infra.environment import describe

# Placeholders that only development may run with; production refuses them.
DEFAULT_SECRET_KEY = "dev-secret-key-change-me"
DEFAULT_JWT_SECRET_KEY = "dev-jwt-secret-key-change-me-please-32b"
# Every placeholder is published, so each is refused for every secret, not only its own key.
PUBLISHED_PLACEHOLDERS = frozenset({DEFAULT_SECRET_KEY, DEFAULT_JWT_SECRET_KEY})
MIN_PRODUCTION_SECRET_BYTES = 32  # 256 bits
# A secret whose characters, counted as if each were drawn at random from the ones it
# uses, carry fewer bits than this is a pattern someone typed, not a random value.
MIN_SECRET_ENTROPY_BITS = 128
MAKE_A_SECRET = "python3 -c 'import secrets; print(secrets.token_urlsafe(48))'"
REFUSAL = "refusing to start in production: "


def estimated_entropy_bits(secret: str) -> float:
    """Shannon entropy of the secret's own character frequencies, times its length."""
    counts = Counter(secret)
    total = len(secret)
    return -sum(n * math.log2(n / total) for n in counts.values())


def is_repetition(secret: str) -> bool:
    """One character or word over and over: "kkkk…", "changemechangeme…"."""
    return len(secret) > 1 and secret in (secret + secret)[1:-1]


def is_placeholder(secret: str) -> bool:
    """A published placeholder, or one with something around it ("…-please-32b-prod")."""
    folded = secret.casefold()
    return any(placeholder.casefold() in folded for placeholder in PUBLISHED_PLACEHOLDERS)


def secret_problem(name: str, given: str) -> str | None:
    """Why `given` must not sign anything in production, or None when it may."""
    if not given:
        return f"{name} is missing"
    if is_placeholder(given):
        return f"{name} is a development placeholder published in the code"
    if not given.strip():
        return f"{name} is only whitespace"
    if len(given.encode()) < MIN_PRODUCTION_SECRET_BYTES:
        return f"{name} is shorter than {MIN_PRODUCTION_SECRET_BYTES} bytes"
    if is_repetition(given) or estimated_entropy_bits(given) < MIN_SECRET_ENTROPY_BITS:
        return f"{name} is too predictable (a repeated character or word, or too few distinct ones)"
    return None


class ProductionRefused(ValueError):
    """The problems production found, each naming its variable; its text is the one error."""

    def __init__(self, secret_problems: list[str], other_problems: list[str]) -> None:
        text = REFUSAL + "; ".join(secret_problems + other_problems)
        if secret_problems:
            text += f". Make each secret with: {MAKE_A_SECRET}"
        super().__init__(text)


class ProductionGiven(BaseModel):
    """What the production environment gave (empty when unset), checked as one whole."""

    SECRET_KEY: str = ""
    JWT_SECRET_KEY: str = ""
    METRICS_TOKEN: str = ""
    MAIL_SERVER: str = ""
    PUBLIC_URL: str = ""
    REDIS_URL: str = ""
    workers: int = 1

    def signing_secret_problems(self) -> list[str]:
        problems = [
            problem
            for name, given in (
                ("SECRET_KEY", self.SECRET_KEY),
                ("JWT_SECRET_KEY", self.JWT_SECRET_KEY),
            )
            if (problem := secret_problem(name, given))
        ]
        if self.SECRET_KEY and self.SECRET_KEY == self.JWT_SECRET_KEY:
            problems.append("SECRET_KEY and JWT_SECRET_KEY are the same value; give each its own")
        return problems

    def metrics_token_problems(self) -> list[str]:
        if not self.METRICS_TOKEN:
            return []
        # /metrics is not rate-limited: its token must be too long to guess.
        problems = (
            [problem] if (problem := secret_problem("METRICS_TOKEN", self.METRICS_TOKEN)) else []
        )
        if self.METRICS_TOKEN in (self.SECRET_KEY, self.JWT_SECRET_KEY):
            problems.append("METRICS_TOKEN is one of the signing secrets; give it its own")
        return problems

    def mail_problems(self) -> list[str]:
        return [
            f"{name} is not set ({why})"
            for name, given, why in (
                ("MAIL_SERVER", self.MAIL_SERVER, "the SMTP server mails go through"),
                (
                    "PUBLIC_URL",
                    self.PUBLIC_URL,
                    "e.g. https://tally.example.com, for links in mails",
                ),
            )
            if not given
        ]

    def workers_problems(self) -> list[str]:
        if self.workers <= 1 or self.REDIS_URL:
            return []
        return [
            f"{self.workers} workers and no REDIS_URL; each worker would keep its own cache, "
            "rate limits and revoked sessions (a logout on one would not reach the others). "
            "Set REDIS_URL, or WEB_CONCURRENCY=1"
        ]

    @model_validator(mode="after")
    def follows_the_policy(self) -> ProductionGiven:
        secret_problems = self.signing_secret_problems() + self.metrics_token_problems()
        other_problems = self.mail_problems() + self.workers_problems()
        if secret_problems or other_problems:
            raise ProductionRefused(secret_problems, other_problems)
        return self


def production_refusal(given: dict[str, str], workers: int = 1) -> str | None:
    """Why production must not start with what it was `given`, or None when it may."""
    try:
        ProductionGiven.model_validate({**given, "workers": workers})
    except ValidationError as error:
        return describe(error)
    return None
