"""Which settings class TALLY_ENV names, built from the environment; and the password
cost the settings name.

The classes live in infra/settings.py, production's rules in infra/secret_policy.py and the
engine options in infra/engine_options.py: import each name from the module that owns it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from webapp.core.passwords import PasswordCost
from webapp.infra.environment import ConfigError
from webapp.infra.settings import Config, ProductionConfig, TestingConfig

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
