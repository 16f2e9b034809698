"""Application factory: it only wires settings, extensions, blueprints and error pages."""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import Flask
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.middleware.proxy_fix import ProxyFix

from services.config import Settings, install, load_settings
from services.db import db, end_transaction, engine_options
from web import errors, filters
from web.extensions import csrf

log = logging.getLogger(__name__)

BLUEPRINTS = (
    "web.auth:bp",
    "web.portal:bp",
    "web.audit_console:bp",
    "web.directory:bp",
    "web.forms.views:bp",
    "web.files:bp",
    "web.studio:bp",
    "web.admin_console:bp",
    "web.workbench:bp",
    "web.api:bp",
    "web.gongwen:bp",
    "web.shouwen:bp",
    "web.notify:bp",
    "web.calendar:bp",
)


def create_app(settings: Settings | None = None) -> Flask:
    """Build the WSGI app for ``settings`` (loaded from the environment when omitted)."""
    settings = settings or load_settings()
    install(settings)
    app = Flask(__name__)
    app.config.update(
        OA_SETTINGS=settings,
        SECRET_KEY=settings.secret_key,
        SQLALCHEMY_DATABASE_URI=settings.database_url,
        SQLALCHEMY_ENGINE_OPTIONS=engine_options(settings.database_url),
        MAX_CONTENT_LENGTH=settings.max_upload_mb * 1024 * 1024,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.session_cookie_secure,
        SESSION_COOKIE_NAME="oa_session",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=settings.session_absolute_hours),
        WTF_CSRF_TIME_LIMIT=None,  # the CSRF token lives as long as the server-side session
        JSON_AS_ASCII=False,
    )
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    if settings.trusted_proxy_count:
        # Behind nginx the client address arrives in X-Forwarded-For; trust only our own proxies.
        n = settings.trusted_proxy_count
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    db.init_app(app)
    # Registered after Flask-SQLAlchemy's teardown, so it runs before the session is removed.
    app.teardown_appcontext(_end_transaction)
    csrf.init_app(app)
    _register_blueprints(app)
    errors.init_app(app)
    filters.init_app(app)
    return app


def _end_transaction(exc: BaseException | None) -> None:
    """End the request's (or app context's) transaction, keeping PostgreSQL's prepared
    statements when it only read (``services.db.end_transaction``)."""
    if exc is not None:
        return  # Flask-SQLAlchemy's teardown rolls back
    try:
        end_transaction()
    except SQLAlchemyError:
        log.exception("ending the transaction failed; rolling back")
        db.session.rollback()


def _register_blueprints(app: Flask) -> None:
    from importlib import import_module

    for spec in BLUEPRINTS:
        module_name, attr = spec.split(":")
        app.register_blueprint(getattr(import_module(module_name), attr))
