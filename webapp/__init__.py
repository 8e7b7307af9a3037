"""Tally: wallets, transfers and a shop. `create_app` builds the Flask application."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from webapp import api, ops, web
from webapp.api.auth_guard import identify_api_caller
from webapp.api.docs import docs_bp
from webapp.core.passwords import passwords
from webapp.edge.errors import register_error_handlers
from webapp.edge.headers import register_security_headers
from webapp.edge.json_provider import TallyJSONProvider
from webapp.edge.request_body import bound_chunked_bodies
from webapp.edge.session_cookie import CookieSessionInterface
from webapp.edge.static_versions import register_static_versions
from webapp.edge.text_guard import refuse_unstorable_query_and_form
from webapp.edge.url_converters import IdConverter
from webapp.infra import sqlite as _sqlite  # noqa: F401  (registers SQLite connection settings)
from webapp.infra import task_queue
from webapp.infra.config import load_config, password_cost
from webapp.infra.extensions import cache, csrf, db, login_manager, mail, migrate
from webapp.infra.logging import configure_logging, learn_secret_paths, register_request_logging
from webapp.infra.ratelimits import init_limiter
from webapp.infra.settings import INSTANCE_DIR, Config
from webapp.ops.cli import register_commands as add_cli_commands
from webapp.ops.metrics import register_request_metrics
from webapp.services.subscriptions import subscribe_event_handlers

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(config: Config | Mapping[str, Any] | None = None) -> Flask:
    """Build the app: config → metrics → logging → extensions → blueprints → errors → CLI.

    `config` is a Config object, or a mapping of settings laid over the configuration
    that TALLY_ENV names; by default the environment decides everything.
    """
    settings = config if isinstance(config, Config) else load_config()
    settings.validate()

    app = Flask(__name__, instance_path=str(INSTANCE_DIR))
    app.config.from_mapping(settings.as_dict())
    if isinstance(config, Mapping):
        app.config.from_mapping(config)
    app.json = TallyJSONProvider(app)
    app.session_interface = CookieSessionInterface()
    app.url_map.converters["id"] = IdConverter
    os.makedirs(app.instance_path, exist_ok=True)

    register_metrics(app)
    register_logging(app)
    register_proxy_fix(app)
    bound_chunked_bodies(app)
    register_static_versions(app)
    register_extensions(app)
    register_blueprints(app)
    register_error_handling(app)
    register_commands(app)
    register_event_handlers()
    return app


def register_metrics(app: Flask) -> None:
    """First, so that every request is timed and counted, whichever hook answers it."""
    register_request_metrics(app)


def register_logging(app: Flask) -> None:
    configure_logging(app)
    register_request_logging(app)
    app.before_request(refuse_unstorable_query_and_form)


def register_proxy_fix(app: Flask) -> None:
    """Trust X-Forwarded-* only from as many proxies as configured (none by default)."""
    hops = app.config["TRUSTED_PROXIES"]
    if hops > 0:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops
        )


def register_extensions(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"))
    login_manager.init_app(app)
    login_manager.login_view = "web.login"
    login_manager.login_message = "Log in to see that page."
    login_manager.login_message_category = "info"
    csrf.init_app(app)
    # The limiter counts API calls per caller: the caller is known before it counts.
    app.before_request(identify_api_caller)
    init_limiter(app)
    cache.init_app(app)
    mail.init_app(app)
    task_queue.init_app(app)
    passwords.configure(password_cost(app.config))


def register_blueprints(app: Flask) -> None:
    app.register_blueprint(web.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(docs_bp)
    app.register_blueprint(ops.bp)
    csrf.exempt(api.bp)
    learn_secret_paths(app)


def register_error_handling(app: Flask) -> None:
    register_error_handlers(app)
    register_security_headers(app)


def register_commands(app: Flask) -> None:
    add_cli_commands(app)


def register_event_handlers() -> None:
    subscribe_event_handlers()
