"""Flask extensions, created unbound here and bound to an app in `create_app`."""

from __future__ import annotations

from flask_caching import Cache
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from webapp.models.base import Base
from webapp.ratelimits import configured, outside_api, user_or_ip

# expire_on_commit=False: services return the objects they committed, and serializing
# them must not cost a reload per object.
db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})
migrate = Migrate(render_as_batch=True, compare_type=True)
login_manager = LoginManager()
csrf = CSRFProtect()
# The default limit covers /api only (per user, per IP when anonymous); pages and probes
# are limited where they need it. If the shared storage (Redis) fails, counting falls
# back to memory and the error is logged, never raised.
limiter = Limiter(
    key_func=user_or_ip,
    default_limits=[configured("RATELIMIT_DEFAULT")],
    default_limits_exempt_when=outside_api,
    headers_enabled=True,
    swallow_errors=True,
    in_memory_fallback_enabled=True,
    key_prefix="tally",
)
cache = Cache()
