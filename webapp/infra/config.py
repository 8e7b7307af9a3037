"""Configuration read from the environment: which settings class TALLY_ENV names.

The classes live in infra/settings.py, production's rules in infra/secret_policy.py and the
engine options in infra/engine_options.py; this module picks one and is what callers import.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from webapp.core.passwords import PasswordCost
from webapp.infra.engine_options import engine_options
from webapp.infra.environment import ConfigError
from webapp.infra.secret_policy import (
    DEFAULT_JWT_SECRET_KEY,
    DEFAULT_SECRET_KEY,
    MAKE_A_SECRET,
    PUBLISHED_PLACEHOLDERS,
    secret_problem,
)
from webapp.infra.settings import INSTANCE_DIR, Config, ProductionConfig, TestingConfig

__all__ = [
    "CONFIGS",
    "DEFAULT_JWT_SECRET_KEY",
    "DEFAULT_SECRET_KEY",
    "INSTANCE_DIR",
    "MAKE_A_SECRET",
    "PUBLISHED_PLACEHOLDERS",
    "Config",
    "ConfigError",
    "ProductionConfig",
    "TestingConfig",
    "engine_options",
    "load_config",
    "password_cost",
    "secret_problem",
]

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


def load_config(environ: Mapping[str, str] | None = None) -> Config:
    """Choose and build the configuration named by TALLY_ENV."""
    env = os.environ if environ is None else environ
    name = env.get("TALLY_ENV", "development")
    try:
        config_class = CONFIGS[name]
    except KeyError as exc:
        raise ConfigError(f"TALLY_ENV must be one of {sorted(CONFIGS)}, got {name!r}") from exc
    return config_class(environ)
