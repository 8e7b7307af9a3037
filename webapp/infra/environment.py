"""What every settings class shares: one environment mapping in, typed values or one error out.

A settings class is built from an explicit mapping (`os.environ` unless a caller passes its
own), so a test's environment is the whole environment: the developer's own never leaks in.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import BeforeValidator, ValidationError
from pydantic_core import ErrorDetails, PydanticCustomError, PydanticUseDefault
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off"})


class ConfigError(RuntimeError):
    """The environment does not describe a configuration Tally may start with."""


def default_when_empty(value: Any) -> Any:
    """`NAME=` counts as unset: the field keeps its default."""
    if value == "":
        raise PydanticUseDefault
    return value


def is_true_word(value: Any) -> Any:
    """True for "1", "true", "yes" or "on" in any case; any other word is false."""
    return value.strip().lower() in TRUE_WORDS if isinstance(value, str) else value


def as_integer(value: Any) -> Any:
    """Python's own `int()` reading of a variable, so "60.0" stays refused."""
    if not isinstance(value, str):
        return value
    try:
        return int(value)
    except ValueError:
        raise PydanticCustomError("int_parsing", "not an integer") from None


# An integer whose empty value means its default; a bad one is refused by name.
EnvInt = Annotated[int, BeforeValidator(as_integer), BeforeValidator(default_when_empty)]
# A string whose empty value means its default.
EnvStr = Annotated[str, BeforeValidator(default_when_empty)]
# A string whose empty value means None (a service that is not configured).
OptionalStr = Annotated[str | None, BeforeValidator(default_when_empty)]
EnvBool = Annotated[bool, BeforeValidator(is_true_word)]


def problem(error: ErrorDetails) -> str:
    """One bad variable, in words that name it and what it must be."""
    name = ".".join(str(part) for part in error["loc"])
    if error["type"] == "value_error":
        return str(error.get("ctx", {}).get("error", error["msg"]))
    if error["type"].startswith("int_"):
        return f"{name} must be an integer, got {error['input']!r}"
    return f"{name}: {error['msg']}"


def describe(error: ValidationError) -> str:
    return "; ".join(problem(details) for details in error.errors())


class EnvironmentSettings(BaseSettings):
    """Fields named as their environment variables, read from the mapping given to __init__."""

    model_config = SettingsConfigDict(case_sensitive=True, extra="ignore")

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        given = os.environ if environ is None else environ
        fields = type(self).model_fields
        try:
            super().__init__(**{name: value for name, value in given.items() if name in fields})
        except ValidationError as error:
            raise ConfigError(describe(error)) from None

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The mapping __init__ passes is the whole environment: no other source may add to it.
        return (init_settings,)
