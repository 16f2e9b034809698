"""Shared by the bench scripts: a fresh database per backend and the app on top of it.

Each bench seeds its own data inside ``migrated_app``; only the plumbing lives here.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import Flask
from sqlalchemy import create_engine, text

import migrations
from services.config import load_settings
from services.db import db
from tests.support.pgcluster import PgCluster
from web.app import create_app


def database_url(backend: str, workdir: Path, cluster: PgCluster | None, prefix: str) -> str:
    """A new empty database: a SQLite file in ``workdir``, or ``<prefix>_<random>`` created
    on the throwaway PostgreSQL ``cluster``."""
    if backend == "sqlite":
        return f"sqlite:///{workdir / f'{prefix}.sqlite3'}"
    assert cluster is not None
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin_engine = create_engine(cluster.url(), isolation_level="AUTOCOMMIT")
    with admin_engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin_engine.dispose()
    return cluster.url(name)


def make_app(url: str, var_dir: Path) -> Flask:
    """The product app on ``url`` with a throwaway secret key (no environment read)."""
    settings = load_settings(environ={}, database_url=url, var_dir=var_dir, secret_key="b" * 40)
    return create_app(settings)


@contextmanager
def migrated_app(url: str, var_dir: Path) -> Iterator[Flask]:
    """The app with its context pushed and the schema migrated to head; on exit the session
    is removed and the connections closed."""
    app = make_app(url, var_dir)
    with app.app_context():
        migrations.upgrade_to_head(db.engine)
        yield app
        db.session.remove()
        db.engine.dispose()
