"""The real application served over HTTP from a background thread, for browsers to drive.

Browser tests and the screenshot script both need the platform running exactly as in
production: the app factory, a migrated database, real sessions and CSRF. The server runs
werkzeug's threaded WSGI server on 127.0.0.1 at a port the kernel picks, so parallel runs never
collide. Data is seeded through ``server.app_context()`` on the same SQLite file the server uses.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from pathlib import Path

from flask import Flask
from sqlalchemy import create_engine
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

import migrations
from services.config import load_settings
from services.db import db
from web.app import create_app

# A fixed, long-enough key: the live server only ever serves throwaway test databases.
LIVE_SECRET = "live-server-secret-key-" + "y" * 32


class _QuietHandler(WSGIRequestHandler):
    """Drop the one-line-per-request access log; errors are still logged."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return None


def migrate_sqlite(path: Path) -> str:
    """Create ``path`` as an empty SQLite database at the newest schema; return its URL."""
    url = f"sqlite:///{path}"
    engine = create_engine(url)
    try:
        migrations.upgrade_to_head(engine)
    finally:
        engine.dispose()
    return url


def build_app(database_url: str, var_dir: Path) -> Flask:
    """The production app factory on ``database_url``, ignoring the caller's environment."""
    settings = load_settings(
        environ={},
        database_url=database_url,
        var_dir=var_dir,
        secret_key=LIVE_SECRET,
        # Cheap argon2 for tests (see tests/conftest.py); production keeps the defaults.
        argon2_time_cost=1,
        argon2_memory_kib=1024,
        argon2_parallelism=1,
    )
    return create_app(settings)


class LiveServer:
    """``start()`` serves ``app`` in a daemon thread; ``stop()`` shuts it down and joins it."""

    def __init__(self, app: Flask, host: str = "127.0.0.1") -> None:
        self.app = app
        self.host = host
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """Base URL without a trailing slash, e.g. ``http://127.0.0.1:41234``."""
        if self._server is None:
            raise RuntimeError("live server not started")
        return f"http://{self.host}:{self._server.server_port}"

    def start(self) -> LiveServer:
        """Bind a free port and begin serving; returns self for chaining."""
        self._server = make_server(
            self.host, 0, self.app, threaded=True, request_handler=_QuietHandler
        )
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="oa-live-server", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop accepting requests, close the socket and release database connections."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._server = self._thread = None
        with self.app.app_context():
            db.engine.dispose()

    @contextlib.contextmanager
    def app_context(self) -> Iterator[None]:
        """An application context for seeding or inspecting the server's database."""
        with self.app.app_context():
            try:
                yield
            finally:
                db.session.remove()


@contextlib.contextmanager
def serve(database_url: str, var_dir: Path) -> Iterator[LiveServer]:
    """Run the app on an already migrated ``database_url`` for the duration of the block."""
    server = LiveServer(build_app(database_url, var_dir)).start()
    try:
        yield server
    finally:
        server.stop()
