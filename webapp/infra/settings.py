"""The settings classes, one per `TALLY_ENV`, typed fields named as their variables.

`Config` is the embedded default (`development`, no services), `ProductionConfig` adds
PostgreSQL and Redis with real secrets, `TestingConfig` is pytest's. Each is built from a
mapping so tests can pass their own environment instead of patching `os.environ`; `as_dict`
is what Flask's `app.config` receives.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from pydantic import PrivateAttr, field_validator

from webapp.infra.engine_options import engine_options
from webapp.infra.environment import (
    FALSE_WORDS,
    TRUE_WORDS,
    ConfigError,
    EnvBool,
    EnvInt,
    EnvironmentSettings,
    EnvStr,
    OptionalStr,
    is_true_word,
)
from webapp.infra.secret_policy import (
    DEFAULT_JWT_SECRET_KEY,
    DEFAULT_SECRET_KEY,
    production_refusal,
)

INSTANCE_DIR = Path(__file__).resolve().parents[2] / "instance"

# MAIL_BACKEND's short names; "file" is ours (one .eml per mail, which a mail program opens).
MAIL_BACKENDS = {
    "smtp": "smtp",
    "console": "console",
    "locmem": "locmem",
    "dummy": "dummy",
    # flask-mailman splits a dotted name into module and class only if it ends in EmailBackend.
    "file": "webapp.infra.mail_files.EmlFileEmailBackend",
}
# LOG_FORMAT's choices; webapp/infra/logging.py has a formatter for each (no Flask here).
LOG_FORMATS = ("json", "text")
# gunicorn's address when BIND is not set (gunicorn.conf.py).
BIND_WHEN_UNSET = "127.0.0.1:5000"
# A server bound to every interface is opened on this machine through the loopback one.
WILDCARD_HOSTS = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "[::]": "[::1]"}
GUNICORN_DEFAULT_PORT = "8000"
# A dead Redis must cost a request a second at most, never hang it.
REDIS_TIMEOUTS = {"socket_connect_timeout": 1, "socket_timeout": 1}


def mail_backend(name: str) -> str:
    try:
        return MAIL_BACKENDS[name]
    except KeyError as exc:
        raise ValueError(
            f"MAIL_BACKEND must be one of {sorted(MAIL_BACKENDS)}, got {name!r}"
        ) from exc


def ratelimit_passthrough(environ: Mapping[str, str]) -> dict[str, Any]:
    """flask-limiter's own RATELIMIT_* keys, passed through with light typing."""
    return {
        key: is_true_word(raw) if raw.strip().lower() in TRUE_WORDS | FALSE_WORDS else raw
        for key, raw in environ.items()
        if key.startswith("RATELIMIT_")
    }


def served_url(bind: str) -> str:
    """The address a browser on this machine opens for gunicorn's BIND (`host:port`); a
    unix socket has none, so the default bind's."""
    bind = bind.strip()
    if bind.startswith(("unix:", "fd://")):
        bind = BIND_WHEN_UNSET
    host, port = bind.rpartition(":")[::2]
    if ":" not in bind or bind.endswith("]"):  # "localhost", "[::1]": gunicorn's own port
        host, port = bind, GUNICORN_DEFAULT_PORT
    return f"http://{WILDCARD_HOSTS.get(host, host)}:{port}"


class Config(EnvironmentSettings):
    """The embedded default: SQLite under instance/, in-process cache and rate limits."""

    TESTING: ClassVar[bool] = False
    DEBUG: ClassVar[bool] = False

    SECRET_KEY: EnvStr = DEFAULT_SECRET_KEY
    JWT_SECRET_KEY: EnvStr = DEFAULT_JWT_SECRET_KEY
    JWT_ALGORITHM: ClassVar[str] = "HS256"
    JWT_ISSUER: str = "tally"
    ACCESS_TOKEN_TTL: EnvInt = 900
    REFRESH_TOKEN_TTL: EnvInt = 7 * 24 * 3600
    TRUSTED_PROXIES: EnvInt = 0
    LOG_LEVEL: str = "INFO"
    # "json" for log collectors; "text", lines a person reads (`make run` sets it).
    LOG_FORMAT: EnvStr = "json"

    DATABASE_URL: OptionalStr = None
    REDIS_URL: OptionalStr = None
    # Where background work waits (webapp/infra/task_queue.py): `sqlite:///<path>` or
    # `redis://…`; unset, REDIS_URL, else a file beside a SQLite database, else
    # instance/tasks.db. TASK_QUEUE_IMMEDIATE runs each task as it is queued (the tests).
    TASK_QUEUE_URL: OptionalStr = None
    TASK_QUEUE_IMMEDIATE: EnvBool = False

    CACHE_DEFAULT_TIMEOUT: ClassVar[int] = 300
    CACHE_KEY_PREFIX: str = "tally:"

    LOGIN_RATE_LIMIT: str = "10/minute"  # per IP and per email
    REGISTER_RATE_LIMIT: str = "10/minute"  # per IP
    REFRESH_RATE_LIMIT: str = "30/minute"  # per IP
    # Current-password checks (password change on the page or the API), per user.
    PASSWORD_CHECK_RATE_LIMIT: str = "10/minute"

    MAX_CONTENT_LENGTH: ClassVar[int] = 64 * 1024
    WTF_CSRF_ENABLED: ClassVar[bool] = True
    SESSION_COOKIE_HTTPONLY: ClassVar[bool] = True
    SESSION_COOKIE_SAMESITE: ClassVar[str] = "Lax"
    SESSION_COOKIE_SECURE: ClassVar[bool] = False
    REMEMBER_COOKIE_HTTPONLY: ClassVar[bool] = True
    REMEMBER_COOKIE_SAMESITE: ClassVar[str] = "Lax"
    HSTS_ENABLED: ClassVar[bool] = False
    # `flask seed-demo` creates accounts with a published password: never in production.
    DEMO_DATA_ALLOWED: ClassVar[bool] = True
    # When set, /metrics answers only `Authorization: Bearer <METRICS_TOKEN>`.
    METRICS_TOKEN: OptionalStr = None
    # Without a token /metrics is served only where the bind keeps it private.
    METRICS_WITHOUT_TOKEN: ClassVar[bool] = True

    # Mail: flask-mailman's own settings. "file" writes one .eml per mail under
    # MAIL_FILE_PATH (instance/mail/ by default), for trying reset links locally.
    MAIL_BACKEND: str = "file"
    MAIL_FILE_PATH: EnvStr = str(INSTANCE_DIR / "mail")
    MAIL_SERVER: OptionalStr = None
    MAIL_PORT: EnvInt = 25
    MAIL_USE_TLS: EnvBool = False
    MAIL_USE_SSL: EnvBool = False
    MAIL_USERNAME: OptionalStr = None
    MAIL_PASSWORD: OptionalStr = None
    MAIL_DEFAULT_SENDER: str = "Tally <no-reply@tally.local>"
    MAIL_TIMEOUT: EnvInt = 10
    # Seconds a failed mail waits before its next try; the wait doubles, up to an hour.
    MAIL_FIRST_RETRY: EnvInt = 30
    # The scheme and host that links in mails point to; unset, the address BIND serves.
    PUBLIC_URL: EnvStr = served_url(BIND_WHEN_UNSET)

    # Account security.
    REQUIRE_VERIFIED_EMAIL: EnvBool = False
    EMAIL_VERIFICATION_TTL: EnvInt = 24 * 3600
    PASSWORD_RESET_TTL: EnvInt = 30 * 60
    # Per IP and per email, whichever surface asks.
    PASSWORD_RESET_RATE_LIMIT: str = "5/hour"
    # Wrong second-factor codes per user before further tries get 429.
    MFA_FAILURE_LIMIT: str = "5/5 minutes"
    # How long a started login (password right, code still due) waits for its code.
    MFA_LOGIN_TTL: EnvInt = 300
    # Seconds after a login (or a confirmed password) that sensitive actions stay allowed:
    # a personal access token, closing the account.
    REAUTH_WINDOW: EnvInt = 600

    # Housekeeping (`flask purge-expired`): how long ended sessions, expired refresh tokens
    # and links, and sent mails are kept before they are deleted, days; rows per batch.
    PURGE_RETENTION_DAYS: EnvInt = 30
    PURGE_BATCH_SIZE: EnvInt = 500

    # argon2id parameters (argon2-cffi's RFC 9106 low-memory profile, above OWASP's minimum).
    ARGON2_TIME_COST: ClassVar[int] = 3
    ARGON2_MEMORY_COST: ClassVar[int] = 64 * 1024
    ARGON2_PARALLELISM: ClassVar[int] = 4

    _engine_options: dict[str, Any] = PrivateAttr(default_factory=dict)
    _ratelimit_given: dict[str, Any] = PrivateAttr(default_factory=dict)

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        given = os.environ if environ is None else environ
        # Mails link to the server that sent them unless PUBLIC_URL names another address.
        public_url = given.get("PUBLIC_URL") or served_url(given.get("BIND") or BIND_WHEN_UNSET)
        super().__init__({**given, "PUBLIC_URL": public_url})
        self._engine_options = engine_options(self.SQLALCHEMY_DATABASE_URI, given)
        self._ratelimit_given = ratelimit_passthrough(given)

    @field_validator("LOG_LEVEL")
    @classmethod
    def upper_case(cls, level: str) -> str:
        return level.upper()

    @field_validator("LOG_FORMAT")
    @classmethod
    def known_log_format(cls, name: str) -> str:
        if name.lower() not in LOG_FORMATS:
            raise ValueError(f"LOG_FORMAT must be one of {list(LOG_FORMATS)}, got {name!r}")
        return name.lower()

    @field_validator("MAIL_BACKEND")
    @classmethod
    def known_mail_backend(cls, name: str) -> str:
        return mail_backend(name)

    @field_validator("PUBLIC_URL")
    @classmethod
    def without_trailing_slash(cls, url: str) -> str:
        return url.rstrip("/")

    @property
    def SQLALCHEMY_DATABASE_URI(self) -> str:
        return self.DATABASE_URL or self.default_database_url()

    def default_database_url(self) -> str:
        return f"sqlite:///{INSTANCE_DIR / 'tally.db'}"

    def task_queue_url(self) -> str:
        """TASK_QUEUE_URL; unset, REDIS_URL, else `<database file>.tasks` beside a SQLite
        database, else instance/tasks.db: two apps on two databases never share a queue."""
        if self.TASK_QUEUE_URL:
            return self.TASK_QUEUE_URL
        if self.REDIS_URL:
            return self.REDIS_URL
        database = self.SQLALCHEMY_DATABASE_URI
        path = database.removeprefix("sqlite:///")
        if database.startswith("sqlite:///") and path and ":memory:" not in path:
            return f"sqlite:///{path}.tasks"
        return f"sqlite:///{INSTANCE_DIR / 'tasks.db'}"

    def cache_settings(self) -> dict[str, Any]:
        """Flask-Caching's keys: Redis when REDIS_URL is set, else in-process."""
        if self.REDIS_URL:
            return {
                "CACHE_TYPE": "RedisCache",
                "CACHE_REDIS_URL": self.REDIS_URL,
                "CACHE_OPTIONS": dict(REDIS_TIMEOUTS),
            }
        return {"CACHE_TYPE": "SimpleCache", "CACHE_THRESHOLD": 10_000}

    def ratelimit_settings(self) -> dict[str, Any]:
        """flask-limiter's keys: ours, then whatever RATELIMIT_* the environment sets."""
        ours = {
            "RATELIMIT_ENABLED": True,
            # A sliding window counter: "10/minute" weighs the last minute's count against
            # this one's, so there is no burst at a minute's edge, at a constant cost per
            # request (two counters per key; a moving window keeps, and walks, every hit's
            # timestamp).
            "RATELIMIT_STRATEGY": "sliding-window-counter",
            "RATELIMIT_STORAGE_URI": self.REDIS_URL or "memory://",
            "RATELIMIT_STORAGE_OPTIONS": dict(REDIS_TIMEOUTS) if self.REDIS_URL else {},
            "RATELIMIT_DEFAULT": "300/minute",  # every /api route, per user (per IP if anonymous)
        }
        return ours | self._ratelimit_given

    def derived_settings(self) -> dict[str, Any]:
        """The extensions' keys that follow from the fields: database, cache, rate limits, queue."""
        database = {
            "SQLALCHEMY_DATABASE_URI": self.SQLALCHEMY_DATABASE_URI,
            "SQLALCHEMY_ENGINE_OPTIONS": self._engine_options,
        }
        queue = {"TASK_QUEUE_URL": self.task_queue_url()}
        return database | self.cache_settings() | self.ratelimit_settings() | queue

    def __getattr__(self, name: str) -> Any:
        # A derived key reads as an attribute too (config.CACHE_TYPE), as a field does.
        if name.isupper() and name in (derived := self.derived_settings()):
            return derived[name]
        return super().__getattr__(name)  # type: ignore[misc]  (pydantic's private attributes)

    def validate(self, workers: int = 1) -> None:  # type: ignore[override]
        """Raise ConfigError when this configuration must not start on `workers` processes."""

    def as_dict(self) -> dict[str, Any]:
        """Flask's keys: the class's constants, every setting and the derived ones."""
        constants = {name: getattr(self, name) for name in self.__class_vars__ if name.isupper()}
        fields = {
            name: value
            for name, value in self.model_dump(exclude={"DATABASE_URL"}).items()
            if name.isupper()
        }
        return constants | fields | self.derived_settings()


class ProductionConfig(Config):
    """PostgreSQL + Redis; refuses to start with a secret that is missing, a placeholder, short,
    predictable or shared by both keys, a METRICS_TOKEN that is short or predictable, without
    its mail settings, or on several workers without REDIS_URL; serves /metrics only with
    METRICS_TOKEN."""

    MAIL_BACKEND: str = "smtp"
    SESSION_COOKIE_SECURE: ClassVar[bool] = True
    REMEMBER_COOKIE_SECURE: ClassVar[bool] = True
    HSTS_ENABLED: ClassVar[bool] = True
    DEMO_DATA_ALLOWED: ClassVar[bool] = False
    # A production port may face the internet: its metrics need the token.
    METRICS_WITHOUT_TOKEN: ClassVar[bool] = False

    # What the environment gave, before any default: the policy judges these.
    _given: dict[str, str] = PrivateAttr(default_factory=dict)

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        given = os.environ if environ is None else environ
        super().__init__(given)
        self._given = {
            name: given.get(name, "")
            for name in ("SECRET_KEY", "JWT_SECRET_KEY", "MAIL_SERVER", "PUBLIC_URL")
        }

    def validate(self, workers: int = 1) -> None:
        refusal = production_refusal(
            {
                **self._given,
                "METRICS_TOKEN": self.METRICS_TOKEN or "",
                "REDIS_URL": self.REDIS_URL or "",
            },
            workers,
        )
        if refusal:
            raise ConfigError(refusal)


class TestingConfig(Config):
    """For pytest: cheap password hashing, no CSRF, an explicit database."""

    TESTING: ClassVar[bool] = True
    WTF_CSRF_ENABLED: ClassVar[bool] = False
    MAIL_BACKEND: str = "locmem"
    TASK_QUEUE_IMMEDIATE: EnvBool = True
    ARGON2_TIME_COST: ClassVar[int] = 1
    ARGON2_MEMORY_COST: ClassVar[int] = 8
    ARGON2_PARALLELISM: ClassVar[int] = 1
