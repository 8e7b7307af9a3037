"""Flask extensions, created unbound here and bound to an app in `create_app`."""

from __future__ import annotations

from flask import current_app, request
from flask_caching import Cache
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from webapp.logging import current_user_id
from webapp.models.base import Base


def client_ip() -> str:
    """The socket peer; ProxyFix rewrites it only when TRUSTED_PROXIES is configured."""
    return request.remote_addr or "unknown"


def user_or_ip() -> str:
    user_id = current_user_id()
    return f"user:{user_id}" if user_id is not None else f"ip:{client_ip()}"


def api_default_limit() -> str:
    # Read per request, so each app's RATELIMIT_DEFAULT applies (the limiter is shared).
    return str(current_app.config["RATELIMIT_DEFAULT"])


def outside_api() -> bool:
    return not request.path.startswith("/api/")


# expire_on_commit=False: services return the objects they committed, and serializing
# them must not cost a reload per object.
db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})
migrate = Migrate(render_as_batch=True, compare_type=True)
login_manager = LoginManager()
csrf = CSRFProtect()
# The default limit covers /api only; pages and probes are limited where they need it.
# If the shared storage (Redis) fails, counting falls back to memory and errors are swallowed.
limiter = Limiter(
    key_func=user_or_ip,
    default_limits=[api_default_limit],
    default_limits_exempt_when=outside_api,
    headers_enabled=True,
    swallow_errors=True,
    in_memory_fallback_enabled=True,
    key_prefix="tally",
)
cache = Cache()
