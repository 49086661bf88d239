"""The booking service: create_app() builds the Flask application."""

from __future__ import annotations

import logging

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from . import config, input_edge, ratelimits
from .database import configure_engine
from .extensions import babel, csrf, db, limiter, login_manager, migrate
from .i18n import select_locale
from .microcache import MicroCache, SharedAnswers
from .reference import ReferenceCache


def create_app(overrides: dict | None = None) -> Flask:
    app = Flask(__name__, template_folder="../templates", static_folder="../static",
                instance_relative_config=True)
    app.config.update(config.load(app.instance_path))
    app.config.update(overrides or {})
    input_edge.init_app(app)  # before any route is added: its `<int:...>` converter
    register_extensions(app)
    register_blueprints(app)
    register_commands(app)
    from . import errors_web, observability, security  # headers, cookies, 503 on outages (inside ProxyFix)

    security.init_app(app)
    observability.init_app(app)  # /metrics, the request counter, JSON logs
    errors_web.init_app(app)
    if app.config["PROXY_COUNT"]:
        # Trust exactly as many proxies as stand in front of us, so rate limits key on the
        # real client and a client cannot forge its address with X-Forwarded-For.
        n = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)
    # Our own loggers (booking.*) speak at INFO through Flask's handler; basicConfig on the
    # root logger as well would print every line twice.
    app.logger.setLevel(logging.INFO)
    return app


def register_extensions(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(app, db, directory=str(app.root_path + "/../migrations"),
                     render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    login_manager.init_app(app)
    limiter.init_app(app)
    ratelimits.init_app(app)  # every 429 says when to try again (Retry-After)
    babel.init_app(app, locale_selector=select_locale)
    app.extensions["availability_cache"] = MicroCache(app.config["AVAILABILITY_CACHE_SECONDS"])
    app.extensions["shared_availability"] = SharedAnswers(app.config["AVAILABILITY_CACHE_URL"],
                                                          app.config["AVAILABILITY_CACHE_SECONDS"])
    app.extensions["reference_cache"] = ReferenceCache()  # services, offices, closures (booking.reference)
    from . import auth  # noqa: F401  (registers the user loader)

    with app.app_context():
        configure_engine(db.engine)


def register_blueprints(app: Flask) -> None:
    from . import api, staff, web
    from .sms import webhooks

    for blueprint in (web.bp, api.bp, api.public_bp, webhooks.bp, staff.bp, staff.display_bp):
        app.register_blueprint(blueprint)


def register_commands(app: Flask) -> None:
    from . import cli

    cli.register(app)
