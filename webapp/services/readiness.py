"""Readiness: can this process reach the services it depends on?"""

from __future__ import annotations

import logging

import redis
from sqlalchemy.exc import SQLAlchemyError

from webapp.core.errors import ServiceUnavailable
from webapp.services.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

OK = "ok"
UNREACHABLE = "unreachable"
NOT_CONFIGURED = "not configured"


def check_readiness(redis_url: str | None) -> dict[str, str]:
    """Each dependency's state; every value is OK or NOT_CONFIGURED when all is well."""
    checks = {"database": OK, "redis": NOT_CONFIGURED}
    try:
        with UnitOfWork() as uow:
            uow.health.ping()
    except SQLAlchemyError:
        log.warning("readiness: database unreachable", exc_info=True)
        checks["database"] = UNREACHABLE
    if redis_url:
        try:
            client = redis.Redis.from_url(redis_url, socket_connect_timeout=2, socket_timeout=2)
            client.ping()
            checks["redis"] = OK
        except redis.RedisError:
            log.warning("readiness: redis unreachable", exc_info=True)
            checks["redis"] = UNREACHABLE
    return checks


def is_ready(checks: dict[str, str]) -> bool:
    return all(state in (OK, NOT_CONFIGURED) for state in checks.values())


def require_readiness(redis_url: str | None) -> dict[str, str]:
    """The checks when every dependency answers; ServiceUnavailable naming them otherwise."""
    checks = check_readiness(redis_url)
    if not is_ready(checks):
        raise ServiceUnavailable("A required service is unreachable.", details=checks)
    return checks
