"""What gunicorn checks before it starts a worker (`on_starting` in gunicorn.conf.py).

A server that cannot serve correctly refuses to start, with one line saying why, instead of
starting workers that fail each request or, worse, serve wrongly: the configuration's own
rules (infra/secret_policy.py: production's secrets and mail settings, and several workers
without REDIS_URL, where each worker would keep its own cache, limits and view of revoked
sessions), then a database it cannot reach.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from webapp.infra.config import load_config
from webapp.infra.environment import ConfigError
from webapp.infra.settings import Config


def refusal(workers: int, environ: Mapping[str, str] | None = None) -> str | None:
    """Why a server of `workers` processes must not start with this environment, or None."""
    env = os.environ if environ is None else environ
    try:
        config = load_config(env)
        config.validate(workers)
    except ConfigError as error:
        return str(error)
    return database_refusal(config)


def database_refusal(config: Config) -> str | None:
    url = config.SQLALCHEMY_DATABASE_URI
    engine = create_engine(url, **config.SQLALCHEMY_ENGINE_OPTIONS)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as error:  # any driver's failure to connect
        where = make_url(url).render_as_string(hide_password=True)
        return (
            f"refusing to start: the database at {where} cannot be reached ({type(error).__name__})"
        )
    finally:
        engine.dispose()
    return None
