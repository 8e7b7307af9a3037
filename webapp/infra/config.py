"""Configuration read from the environment.

Three classes, one per `TALLY_ENV`: the embedded default (`development`, no services),
`production` (PostgreSQL and Redis, real secrets) and `testing` (pytest). Each is built
from a mapping so tests can pass their own environment instead of patching `os.environ`.
"""

from __future__ import annotations

import math
import os
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from webapp.core.passwords import PasswordCost

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

INSTANCE_DIR = Path(__file__).resolve().parents[2] / "instance"
TRUE_WORDS = {"1", "true", "yes", "on"}


class ConfigError(RuntimeError):
    """The environment does not describe a configuration Tally may start with."""


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


def _as_bool(value: str) -> bool:
    return value.strip().lower() in TRUE_WORDS


def _as_int(environ: Mapping[str, str], name: str, default: int) -> int:
    raw = environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from exc


def _ratelimit_passthrough(environ: Mapping[str, str]) -> dict[str, Any]:
    """flask-limiter's own RATELIMIT_* keys, passed through with light typing."""
    passed: dict[str, Any] = {}
    for key, raw in environ.items():
        if not key.startswith("RATELIMIT_"):
            continue
        if raw.strip().lower() in TRUE_WORDS | {"0", "false", "no", "off"}:
            passed[key] = _as_bool(raw)
        else:
            passed[key] = raw
    return passed


# MAIL_BACKEND's short names; "file" is ours (one .eml per mail, which a mail program opens).
MAIL_BACKENDS = {
    "smtp": "smtp",
    "console": "console",
    "locmem": "locmem",
    "dummy": "dummy",
    # flask-mailman splits a dotted name into module and class only if it ends in EmailBackend.
    "file": "webapp.infra.mail_files.EmlFileEmailBackend",
}


def mail_backend(name: str) -> str:
    try:
        return MAIL_BACKENDS[name]
    except KeyError as exc:
        raise ConfigError(
            f"MAIL_BACKEND must be one of {sorted(MAIL_BACKENDS)}, got {name!r}"
        ) from exc


class Config:
    """The embedded default: SQLite under instance/, in-process cache and rate limits."""

    TESTING = False
    DEBUG = False

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        env = dict(os.environ if environ is None else environ)
        self.SECRET_KEY = env.get("SECRET_KEY") or DEFAULT_SECRET_KEY
        self.JWT_SECRET_KEY = env.get("JWT_SECRET_KEY") or DEFAULT_JWT_SECRET_KEY
        self.JWT_ALGORITHM = "HS256"
        self.JWT_ISSUER = env.get("JWT_ISSUER", "tally")
        self.ACCESS_TOKEN_TTL = _as_int(env, "ACCESS_TOKEN_TTL", 900)
        self.REFRESH_TOKEN_TTL = _as_int(env, "REFRESH_TOKEN_TTL", 7 * 24 * 3600)
        self.TRUSTED_PROXIES = _as_int(env, "TRUSTED_PROXIES", 0)
        self.LOG_LEVEL = env.get("LOG_LEVEL", "INFO").upper()

        self.SQLALCHEMY_DATABASE_URI = env.get("DATABASE_URL") or self.default_database_url()
        self.SQLALCHEMY_ENGINE_OPTIONS = engine_options(self.SQLALCHEMY_DATABASE_URI, env)
        self.REDIS_URL = env.get("REDIS_URL") or None

        # A dead Redis must cost a request a second at most, never hang it.
        redis_timeouts = {"socket_connect_timeout": 1, "socket_timeout": 1}
        if self.REDIS_URL:
            self.CACHE_TYPE = "RedisCache"
            self.CACHE_REDIS_URL = self.REDIS_URL
            self.CACHE_OPTIONS = dict(redis_timeouts)
        else:
            self.CACHE_TYPE = "SimpleCache"
            self.CACHE_THRESHOLD = 10_000
        self.CACHE_DEFAULT_TIMEOUT = 300
        self.CACHE_KEY_PREFIX = env.get("CACHE_KEY_PREFIX", "tally:")

        self.RATELIMIT_ENABLED = True
        # A sliding window counter: "10/minute" weighs the last minute's count against this
        # one's, so there is no burst at a minute's edge, at a constant cost per request (two
        # counters per key; a moving window keeps, and walks, every hit's timestamp).
        self.RATELIMIT_STRATEGY = "sliding-window-counter"
        self.RATELIMIT_STORAGE_URI = self.REDIS_URL or "memory://"
        self.RATELIMIT_STORAGE_OPTIONS = dict(redis_timeouts) if self.REDIS_URL else {}
        self.RATELIMIT_DEFAULT = "300/minute"  # every /api route, per user (per IP if anonymous)
        self.LOGIN_RATE_LIMIT = env.get("LOGIN_RATE_LIMIT", "10/minute")  # per IP and per email
        self.REGISTER_RATE_LIMIT = env.get("REGISTER_RATE_LIMIT", "10/minute")  # per IP
        self.REFRESH_RATE_LIMIT = env.get("REFRESH_RATE_LIMIT", "30/minute")  # per IP
        # Current-password checks (password change on the page or the API), per user.
        self.PASSWORD_CHECK_RATE_LIMIT = env.get("PASSWORD_CHECK_RATE_LIMIT", "10/minute")
        self.__dict__.update(_ratelimit_passthrough(env))

        self.MAX_CONTENT_LENGTH = 64 * 1024
        self.WTF_CSRF_ENABLED = True
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_SECURE = False
        self.REMEMBER_COOKIE_HTTPONLY = True
        self.REMEMBER_COOKIE_SAMESITE = "Lax"
        self.HSTS_ENABLED = False
        # `flask seed-demo` creates accounts with a published password: never in production.
        self.DEMO_DATA_ALLOWED = True
        # When set, /metrics answers only `Authorization: Bearer <METRICS_TOKEN>`.
        self.METRICS_TOKEN = env.get("METRICS_TOKEN") or None
        # Without a token /metrics is served only where the bind keeps it private.
        self.METRICS_WITHOUT_TOKEN = True

        # Mail: flask-mailman's own settings. "file" writes one .eml per mail under
        # MAIL_FILE_PATH (instance/mail/ by default), for trying reset links locally.
        self.MAIL_BACKEND = mail_backend(env.get("MAIL_BACKEND", "file"))
        self.MAIL_FILE_PATH = env.get("MAIL_FILE_PATH") or str(INSTANCE_DIR / "mail")
        self.MAIL_SERVER = env.get("MAIL_SERVER") or None
        self.MAIL_PORT = _as_int(env, "MAIL_PORT", 25)
        self.MAIL_USE_TLS = _as_bool(env.get("MAIL_USE_TLS", "false"))
        self.MAIL_USE_SSL = _as_bool(env.get("MAIL_USE_SSL", "false"))
        self.MAIL_USERNAME = env.get("MAIL_USERNAME") or None
        self.MAIL_PASSWORD = env.get("MAIL_PASSWORD") or None
        self.MAIL_DEFAULT_SENDER = env.get("MAIL_DEFAULT_SENDER", "Tally <no-reply@tally.local>")
        self.MAIL_TIMEOUT = _as_int(env, "MAIL_TIMEOUT", 10)
        # "background": after the commit a worker thread sends, so no request waits on SMTP;
        # "inline": sent before the request returns (tests read the mail at once).
        self.MAIL_DELIVERY = env.get("MAIL_DELIVERY", "background")
        # The scheme and host that links in mails point to.
        self.PUBLIC_URL = (env.get("PUBLIC_URL") or "http://127.0.0.1:5000").rstrip("/")

        # Account security.
        self.REQUIRE_VERIFIED_EMAIL = _as_bool(env.get("REQUIRE_VERIFIED_EMAIL", "false"))
        self.EMAIL_VERIFICATION_TTL = _as_int(env, "EMAIL_VERIFICATION_TTL", 24 * 3600)
        self.PASSWORD_RESET_TTL = _as_int(env, "PASSWORD_RESET_TTL", 30 * 60)
        # Per IP and per email, whichever surface asks.
        self.PASSWORD_RESET_RATE_LIMIT = env.get("PASSWORD_RESET_RATE_LIMIT", "5/hour")
        # Wrong second-factor codes per user before further tries get 429.
        self.MFA_FAILURE_LIMIT = env.get("MFA_FAILURE_LIMIT", "5/5 minutes")
        # How long a started login (password right, code still due) waits for its code.
        self.MFA_LOGIN_TTL = _as_int(env, "MFA_LOGIN_TTL", 300)

        # Housekeeping (`flask purge-expired`): how long ended sessions, expired refresh tokens
        # and links, and sent mails are kept before they are deleted, days; rows per batch.
        self.PURGE_RETENTION_DAYS = _as_int(env, "PURGE_RETENTION_DAYS", 30)
        self.PURGE_BATCH_SIZE = _as_int(env, "PURGE_BATCH_SIZE", 500)

        # argon2id parameters (argon2-cffi's RFC 9106 low-memory profile, above OWASP's minimum).
        self.ARGON2_TIME_COST = 3
        self.ARGON2_MEMORY_COST = 64 * 1024
        self.ARGON2_PARALLELISM = 4

    def default_database_url(self) -> str:
        return f"sqlite:///{INSTANCE_DIR / 'tally.db'}"

    def validate(self) -> None:
        """Raise ConfigError when this configuration must not start."""

    def as_dict(self) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for cls in reversed(type(self).__mro__):
            values.update({k: v for k, v in vars(cls).items() if k.isupper()})
        values.update({k: v for k, v in vars(self).items() if k.isupper()})
        return values


class ProductionConfig(Config):
    """PostgreSQL + Redis; refuses to start with a secret that is missing, a placeholder, short,
    predictable or shared by both keys, or a METRICS_TOKEN that is short or predictable;
    serves /metrics only with METRICS_TOKEN."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        super().__init__(environ)
        env = dict(os.environ if environ is None else environ)
        self._given_secret = env.get("SECRET_KEY", "")
        self._given_jwt_secret = env.get("JWT_SECRET_KEY", "")
        self._given_mail_server = env.get("MAIL_SERVER", "")
        self._given_public_url = env.get("PUBLIC_URL", "")
        self.MAIL_BACKEND = mail_backend(env.get("MAIL_BACKEND", "smtp"))
        self.SESSION_COOKIE_SECURE = True
        self.REMEMBER_COOKIE_SECURE = True
        self.HSTS_ENABLED = True
        self.DEMO_DATA_ALLOWED = False
        # A production port may face the internet: its metrics need the token.
        self.METRICS_WITHOUT_TOKEN = False

    def validate(self) -> None:
        problems = [
            problem
            for name, given in (
                ("SECRET_KEY", self._given_secret),
                ("JWT_SECRET_KEY", self._given_jwt_secret),
            )
            if (problem := secret_problem(name, given))
        ]
        if self._given_secret and self._given_secret == self._given_jwt_secret:
            problems.append("SECRET_KEY and JWT_SECRET_KEY are the same value; give each its own")
        if self.METRICS_TOKEN:
            # /metrics is not rate-limited: its token must be too long to guess.
            if problem := secret_problem("METRICS_TOKEN", self.METRICS_TOKEN):
                problems.append(problem)
            if self.METRICS_TOKEN in (self._given_secret, self._given_jwt_secret):
                problems.append("METRICS_TOKEN is one of the signing secrets; give it its own")
        if problems:
            raise ConfigError(
                "refusing to start in production: "
                + "; ".join(problems)
                + f". Make each secret with: {MAKE_A_SECRET}"
            )
        mail_problems = [
            f"{name} is not set ({why})"
            for name, given, why in (
                ("MAIL_SERVER", self._given_mail_server, "the SMTP server mails go through"),
                (
                    "PUBLIC_URL",
                    self._given_public_url,
                    "e.g. https://tally.example.com, for links in mails",
                ),
            )
            if not given
        ]
        if mail_problems:
            raise ConfigError("refusing to start in production: " + "; ".join(mail_problems))


class TestingConfig(Config):
    """For pytest: cheap password hashing, no CSRF, an explicit database."""

    TESTING = True

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        super().__init__(environ)
        env = dict(os.environ if environ is None else environ)
        self.WTF_CSRF_ENABLED = False
        self.ARGON2_TIME_COST = 1
        self.MAIL_BACKEND = mail_backend(env.get("MAIL_BACKEND", "locmem"))
        self.MAIL_DELIVERY = env.get("MAIL_DELIVERY", "inline")
        self.ARGON2_MEMORY_COST = 8
        self.ARGON2_PARALLELISM = 1


CONFIGS: dict[str, type[Config]] = {
    "development": Config,
    "production": ProductionConfig,
    "testing": TestingConfig,
}


def password_cost(config: Mapping[str, Any]) -> PasswordCost:
    """The argon2id cost that the ARGON2_* settings name."""
    return PasswordCost(
        time_cost=config["ARGON2_TIME_COST"],
        memory_cost=config["ARGON2_MEMORY_COST"],
        parallelism=config["ARGON2_PARALLELISM"],
    )


def engine_options(database_url: str, environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Engine settings per backend: detect dead connections on PostgreSQL, fail fast.

    `hide_parameters`: a database error's message would otherwise carry the statement's
    values (a password hash, a token hash) into whatever logs it.

    PostgreSQL: a pool sized from the environment (each worker has its own: workers x
    (DB_POOL_SIZE + DB_MAX_OVERFLOW) must stay under the server's max_connections), a
    statement timeout, and no server-side prepared statements (psycopg prepares a query it
    has run five times on that connection; behind PgBouncer in transaction mode the next
    transaction may get another server connection, where it does not exist). The timeout
    is a startup option, which PgBouncer refuses: behind it (DB_BEHIND_PGBOUNCER=true),
    set it on the role instead (`ALTER ROLE tally SET statement_timeout = '10s'`).
    """
    env = os.environ if environ is None else environ
    options: dict[str, Any] = {"hide_parameters": True}
    if database_url.startswith("postgresql"):
        connect_args: dict[str, Any] = {"connect_timeout": 5, "prepare_threshold": None}
        timeout_ms = _as_int(env, "DB_STATEMENT_TIMEOUT_MS", 10_000)
        if timeout_ms and not _as_bool(env.get("DB_BEHIND_PGBOUNCER", "false")):
            connect_args["options"] = f"-c statement_timeout={timeout_ms}"
        options.update(
            pool_pre_ping=True,
            pool_size=_as_int(env, "DB_POOL_SIZE", 5),
            max_overflow=_as_int(env, "DB_MAX_OVERFLOW", 10),
            pool_timeout=_as_int(env, "DB_POOL_TIMEOUT", 30),
            connect_args=connect_args,
        )
    return options


def load_config(environ: Mapping[str, str] | None = None) -> Config:
    """Choose and build the configuration named by TALLY_ENV."""
    env = os.environ if environ is None else environ
    name = env.get("TALLY_ENV", "development")
    try:
        config_class = CONFIGS[name]
    except KeyError as exc:
        raise ConfigError(f"TALLY_ENV must be one of {sorted(CONFIGS)}, got {name!r}") from exc
    return config_class(environ)
