"""Flask extensions, created unbound here and bound to an app in `create_app`."""

from __future__ import annotations

from flask_caching import Cache
from flask_login import LoginManager
from flask_mailman import Mail
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from webapp.infra.ratelimits import limiter as limiter  # built with its keys and shared limits
from webapp.models.base import Base

# expire_on_commit=False: services return the objects they committed, and serializing
# them must not cost a reload per object.
db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})
migrate = Migrate(render_as_batch=True, compare_type=True)
login_manager = LoginManager()
csrf = CSRFProtect()
cache = Cache()
mail = Mail()
