"""Configuration from the environment; production refuses to start on default secrets."""

from __future__ import annotations

import re
import secrets
import subprocess
from pathlib import Path

import pytest
from conftest import reset_database

from webapp import create_app
from webapp.infra import secret_policy, settings
from webapp.infra.config import load_config
from webapp.infra.environment import ConfigError
from webapp.infra.extensions import db
from webapp.infra.secret_policy import (
    DEFAULT_JWT_SECRET_KEY,
    DEFAULT_SECRET_KEY,
    PUBLISHED_PLACEHOLDERS,
)
from webapp.infra.settings import Config, ProductionConfig

TestingConfig = settings.TestingConfig
TestingConfig.__test__ = False  # a settings class, not a test class

# Two values as `secrets.token_urlsafe(48)` makes them (fixed, so a failure reproduces).
STRONG_SECRET = "vN3q8Zr1mX0bT7yKpA4sWc9LhE2uGd6JfR5oQiYxMtVnBz-Ck_PlSaHwDgUeOjIr"
STRONG_JWT_SECRET = "Hq7Lw2pXc9Rb4NvT0zKm8YsA1dFgJ6uE3oWiQ5rBtC-yMnVxZ_aGhSkPlDjOfUeI"


def production(**env: str) -> dict[str, str]:
    values = {
        "TALLY_ENV": "production",
        "MAIL_SERVER": "127.0.0.1",
        "PUBLIC_URL": "https://tally.example.com",
        "SECRET_KEY": STRONG_SECRET,
        "JWT_SECRET_KEY": STRONG_JWT_SECRET,
    }
    values.update(env)
    return {k: v for k, v in values.items() if v is not None}


def test_the_default_is_the_embedded_mode():
    config = load_config({})
    assert type(config) is Config
    assert config.SQLALCHEMY_DATABASE_URI.startswith("sqlite:///")
    assert config.SQLALCHEMY_DATABASE_URI.endswith("instance/tally.db")
    assert config.CACHE_TYPE == "SimpleCache"
    assert config.RATELIMIT_STORAGE_URI == "memory://"
    assert config.ACCESS_TOKEN_TTL == 900
    assert config.REFRESH_TOKEN_TTL == 7 * 24 * 3600
    assert config.TRUSTED_PROXIES == 0


def test_services_come_from_database_url_and_redis_url():
    config = load_config(
        {"DATABASE_URL": "postgresql+psycopg://db/tally", "REDIS_URL": "redis://cache:6379/0"}
    )
    assert config.SQLALCHEMY_DATABASE_URI == "postgresql+psycopg://db/tally"
    assert config.SQLALCHEMY_ENGINE_OPTIONS["pool_pre_ping"] is True
    assert config.CACHE_TYPE == "RedisCache"
    assert config.CACHE_REDIS_URL == "redis://cache:6379/0"
    assert config.RATELIMIT_STORAGE_URI == "redis://cache:6379/0"


def test_ratelimit_keys_pass_through_to_flask_limiter():
    config = load_config({"RATELIMIT_ENABLED": "false", "RATELIMIT_DEFAULT": "5/second"})
    assert config.RATELIMIT_ENABLED is False
    assert config.RATELIMIT_DEFAULT == "5/second"


def test_token_lifetimes_are_configurable_and_checked():
    assert load_config({"ACCESS_TOKEN_TTL": "60"}).ACCESS_TOKEN_TTL == 60
    with pytest.raises(ConfigError):
        load_config({"ACCESS_TOKEN_TTL": "soon"})


def test_tally_env_chooses_the_class():
    assert type(load_config({"TALLY_ENV": "testing"})) is TestingConfig
    assert type(load_config(production())) is ProductionConfig
    with pytest.raises(ConfigError):
        load_config({"TALLY_ENV": "staging"})


def test_production_accepts_strong_secrets():
    config = load_config(production())
    config.validate()
    assert config.SESSION_COOKIE_SECURE is True
    assert config.HSTS_ENABLED is True


@pytest.mark.parametrize(
    ("env", "complaint"),
    [
        ({"SECRET_KEY": None}, "SECRET_KEY is missing"),
        ({"SECRET_KEY": ""}, "SECRET_KEY is missing"),
        ({"SECRET_KEY": DEFAULT_SECRET_KEY}, "SECRET_KEY is a development placeholder"),
        ({"JWT_SECRET_KEY": None}, "JWT_SECRET_KEY is missing"),
        ({"JWT_SECRET_KEY": DEFAULT_JWT_SECRET_KEY}, "JWT_SECRET_KEY is a development placeholder"),
        ({"JWT_SECRET_KEY": "short-secret"}, "JWT_SECRET_KEY is shorter than 32 bytes"),
    ],
)
def test_production_refuses_missing_default_or_short_secrets(env, complaint):
    with pytest.raises(ConfigError, match=complaint):
        load_config(production(**env)).validate()


SECRET_SETTINGS = ("SECRET_KEY", "JWT_SECRET_KEY")
ROOT = Path(__file__).resolve().parents[2]
# A literal given to a secret key in a tracked file: quoted (`DEFAULT_SECRET_KEY = "…"`,
# `"JWT_SECRET_KEY": "…"`) or a whole env-file line (`SECRET_KEY=…`); a `$(…)` command, a
# `…` ellipsis or a name (`SECRET_KEY=keys.secret_key`) is not one.
SECRET_LITERALS = (
    re.compile(r"SECRET_KEY[\"']?\s*[:=]\s*([\"'])(?P<value>[^\"'$…]{8,})\1"),
    re.compile(r"^(?:export\s+)?\w*SECRET_KEY=(?P<value>[^\s\"'$…]{8,})$", re.MULTILINE),
)


def config_placeholders() -> set[str]:
    """What the settings modules publish: the values development runs with when nothing is
    set, and every DEFAULT_* string they define (a new default is collected here too)."""
    development = Config({})
    running = {getattr(development, name) for name in SECRET_SETTINGS}
    constants = {
        value
        for module in (settings, secret_policy)
        for name, value in vars(module).items()
        if name.startswith("DEFAULT_") and isinstance(value, str)
    }
    return running | constants


def repository_placeholders() -> set[str]:
    """Every literal value a tracked file gives a secret key (README, deploy/, env files…)."""
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    found = set()
    for name in tracked:
        path = ROOT / name
        if not path.is_file() or path.suffix in {".png", ".ico", ".woff2", ".gz"}:
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        found |= {m["value"] for pattern in SECRET_LITERALS for m in pattern.finditer(text)}
    return found


def test_the_config_modules_defaults_are_its_published_placeholders():
    assert config_placeholders() <= PUBLISHED_PLACEHOLDERS


def test_the_repository_scan_finds_the_config_modules_defaults():
    assert config_placeholders() <= repository_placeholders()


@pytest.mark.parametrize("published", sorted(repository_placeholders()))
@pytest.mark.parametrize("name", SECRET_SETTINGS)
def test_production_refuses_every_value_the_repository_gives_a_secret(name, published):
    with pytest.raises(ConfigError, match=f"{name} is"):
        load_config(production(**{name: published})).validate()


@pytest.mark.parametrize("placeholder", sorted(config_placeholders()))
@pytest.mark.parametrize("name", SECRET_SETTINGS)
def test_production_refuses_every_placeholder_for_either_key(name, placeholder):
    with pytest.raises(ConfigError, match=f"{name} is a development placeholder") as refused:
        load_config(production(**{name: placeholder})).validate()
    assert "secrets.token_urlsafe" in str(refused.value)  # how to make a good one
    assert placeholder not in str(refused.value)  # never echoes the value


@pytest.mark.parametrize("name", SECRET_SETTINGS)
def test_production_refuses_a_placeholder_dressed_up(name):
    dressed = f"  {DEFAULT_JWT_SECRET_KEY.upper()}-prod-2024"
    with pytest.raises(ConfigError, match=f"{name} is a development placeholder"):
        load_config(production(**{name: dressed})).validate()


def test_create_app_refuses_to_build_a_production_app_on_default_secrets():
    with pytest.raises(ConfigError):
        create_app(ProductionConfig({"TALLY_ENV": "production"}))


def test_testing_uses_cheap_hashing_and_no_csrf():
    config = TestingConfig({})
    assert config.WTF_CSRF_ENABLED is False
    assert config.ARGON2_TIME_COST == 1
    assert Config({}).WTF_CSRF_ENABLED is True


@pytest.mark.parametrize(
    ("secret", "complaint"),
    [
        (" " * 32, "is only whitespace"),
        ("\t \n" * 12, "is only whitespace"),
        ("changeme" * 4, "is too predictable"),
        ("k" * 40, "is too predictable"),
        ("ab" * 20, "is too predictable"),
        ("password" * 5, "is too predictable"),
        ("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab", "is too predictable"),
    ],
)
@pytest.mark.parametrize("name", ["SECRET_KEY", "JWT_SECRET_KEY"])
def test_production_refuses_predictable_secrets_naming_the_variable(name, secret, complaint):
    with pytest.raises(ConfigError, match=f"{name} {complaint}") as refused:
        load_config(production(**{name: secret})).validate()
    assert "secrets.token_urlsafe" in str(refused.value)  # how to make a good one
    assert secret.strip() == "" or secret not in str(refused.value)  # never echoes the value


def test_production_refuses_one_secret_for_both_keys():
    shared = secrets.token_urlsafe(48)
    with pytest.raises(ConfigError, match="SECRET_KEY and JWT_SECRET_KEY are the same value"):
        load_config(production(SECRET_KEY=shared, JWT_SECRET_KEY=shared)).validate()


@pytest.mark.parametrize("make", [secrets.token_urlsafe, secrets.token_hex])
def test_production_accepts_every_secret_the_readme_tells_you_to_make(make):
    for _ in range(200):
        load_config(production(SECRET_KEY=make(32), JWT_SECRET_KEY=make(32))).validate()


@pytest.mark.parametrize(
    ("missing", "complaint"),
    [
        ("MAIL_SERVER", "MAIL_SERVER is not set"),
        ("PUBLIC_URL", "PUBLIC_URL is not set"),
    ],
)
def test_production_refuses_to_start_without_mail_settings(missing, complaint):
    with pytest.raises(ConfigError, match=complaint):
        load_config(production(**{missing: None})).validate()


def test_production_refuses_to_start_without_public_url_even_with_a_bind():
    with pytest.raises(ConfigError, match="PUBLIC_URL is not set"):
        load_config(production(PUBLIC_URL=None, BIND="127.0.0.1:5123")).validate()


@pytest.mark.parametrize(
    ("bind", "public_url"),
    [
        (None, "http://127.0.0.1:5000"),
        ("127.0.0.1:5123", "http://127.0.0.1:5123"),
        ("0.0.0.0:8080", "http://127.0.0.1:8080"),
        ("[::]:5000", "http://[::1]:5000"),
        ("localhost", "http://localhost:8000"),
        ("unix:/run/tally.sock", "http://127.0.0.1:5000"),
    ],
)
def test_public_url_defaults_to_the_address_bind_serves(bind, public_url):
    env = {} if bind is None else {"BIND": bind}
    assert public_url == load_config(env).PUBLIC_URL
    given = load_config({**env, "PUBLIC_URL": "https://tally.example.com/"})
    assert given.PUBLIC_URL == "https://tally.example.com"


def test_a_mailed_link_points_at_the_address_bind_serves_in_development(migrated_database, app):
    config = load_config(
        {
            "DATABASE_URL": migrated_database,
            "BIND": "127.0.0.1:5123",
            "MAIL_BACKEND": "locmem",
            "TASK_QUEUE_IMMEDIATE": "true",
        }
    )
    assert type(config) is Config
    development = create_app(config)
    client = development.test_client()
    email = "bind-follower@example.com"
    body = {"email": email, "password": "correct-horse-battery", "name": "Bind"}
    assert client.post("/api/v1/auth/register", json=body).status_code == 201
    (mail,) = [m for m in development.extensions["mailman"].outbox if m.to == [email]]
    assert "http://127.0.0.1:5123/verify-email/" in mail.body
    assert ":5000" not in mail.body
    reset_database(development)  # the app fixture emptied the database before: so do we after
    with development.app_context():
        db.engine.dispose()


def test_log_format_is_json_or_text_and_a_bad_one_is_refused_by_name():
    assert load_config({}).LOG_FORMAT == "json"
    assert load_config({"LOG_FORMAT": "Text"}).LOG_FORMAT == "text"
    assert load_config({"LOG_FORMAT": ""}).LOG_FORMAT == "json"
    with pytest.raises(
        ConfigError, match=r"LOG_FORMAT must be one of \['json', 'text'\], got 'xml'"
    ):
        load_config({"LOG_FORMAT": "xml"})


def test_mail_backend_names_are_checked():
    with pytest.raises(ConfigError, match="MAIL_BACKEND must be one of"):
        load_config({"MAIL_BACKEND": "carrier-pigeon"})
    assert load_config({}).MAIL_BACKEND == "webapp.infra.mail_files.EmlFileEmailBackend"
    assert load_config({}).MAIL_FILE_PATH.endswith("instance/mail")
    assert load_config(production()).MAIL_BACKEND == "smtp"
    assert load_config({"TALLY_ENV": "testing"}).MAIL_BACKEND == "locmem"


def test_production_names_every_bad_variable_in_one_error():
    env = production(SECRET_KEY=None, JWT_SECRET_KEY="short-secret", MAIL_SERVER=None)
    env.update(PUBLIC_URL="", METRICS_TOKEN="k" * 40)
    with pytest.raises(ConfigError) as refused:
        load_config(env).validate(workers=2)
    [line] = str(refused.value).splitlines()
    assert line.startswith("refusing to start in production: ")
    for complaint in (
        "SECRET_KEY is missing",
        "JWT_SECRET_KEY is shorter than 32 bytes",
        "METRICS_TOKEN is too predictable",
        "MAIL_SERVER is not set",
        "PUBLIC_URL is not set",
        "2 workers and no REDIS_URL",
    ):
        assert complaint in line
    assert "secrets.token_urlsafe" in line  # how to make a good one


def test_unreadable_values_are_named_together():
    with pytest.raises(ConfigError) as refused:
        load_config({"ACCESS_TOKEN_TTL": "soon", "MAIL_PORT": "25.0", "MAIL_BACKEND": "pigeon"})
    message = str(refused.value)
    assert "ACCESS_TOKEN_TTL must be an integer, got 'soon'" in message
    assert "MAIL_PORT must be an integer, got '25.0'" in message
    assert "MAIL_BACKEND must be one of" in message
