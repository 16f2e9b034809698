"""Fixtures: app -> client -> logged-in users, on a fresh real database per test.

Every database test runs twice, on SQLite and on a throwaway PostgreSQL cluster
(``--db sqlite`` or ``--db postgresql`` narrows it). The schema comes from the Alembic
migrations, built once per backend as a template and copied for each test.
"""

from __future__ import annotations

import itertools
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text

import migrations
from services import clock
from services.config import load_settings
from services.db import db
from tests.support.pgcluster import PgCluster
from web.app import create_app

BACKENDS = ("sqlite", "postgresql")
TEST_SECRET = "test-secret-key-" + "x" * 32
# argon2 at its cheapest: the suite hashes thousands of passwords; production keeps the defaults.
FAST_HASHING = {"argon2_time_cost": 1, "argon2_memory_kib": 1024, "argon2_parallelism": 1}
_db_counter = itertools.count()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--db", default="sqlite,postgresql", help="comma-separated backends: sqlite,postgresql"
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" in metafunc.fixturenames:
        chosen = [b for b in metafunc.config.getoption("--db").split(",") if b]
        if metafunc.definition.get_closest_marker("postgres_only"):
            chosen = [b for b in chosen if b == "postgresql"]
        metafunc.parametrize("backend", chosen, scope="function")


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    cluster = PgCluster().start()  # fails loudly when PostgreSQL is missing: no silent skip
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    engine = create_engine(f"sqlite:///{path}")
    migrations.upgrade_to_head(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def pg_template(pg_cluster: PgCluster) -> str:
    admin = create_engine(pg_cluster.url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("CREATE DATABASE oa_template"))
    admin.dispose()
    engine = create_engine(pg_cluster.url("oa_template"))
    migrations.upgrade_to_head(engine)
    engine.dispose()
    return "oa_template"


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database with the migrated schema, for one test."""
    if backend == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "oa.sqlite3"
        shutil.copyfile(template, path)
        yield f"sqlite:///{path}"
        return
    cluster: PgCluster = request.getfixturevalue("pg_cluster")
    template_name: str = request.getfixturevalue("pg_template")
    name = f"oa_test_{next(_db_counter)}"
    admin = create_engine(cluster.url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template_name}"'))
    try:
        yield cluster.url(name)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def make_test_app(database_url: str, var_dir: Path, **overrides: object) -> Flask:
    settings = load_settings(
        environ={},
        database_url=database_url,
        var_dir=var_dir,
        secret_key=TEST_SECRET,
        **FAST_HASHING,
        **overrides,
    )
    app = create_app(settings)
    app.config.update(TESTING=True)
    return app


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    """The app on a fresh database, inside an application context."""
    application = make_test_app(database_url, tmp_path / "var")
    with application.app_context():
        yield application
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def frozen_clock() -> Iterator[clock.FrozenClock]:
    """A clock that tests move explicitly (``frozen_clock.advance(minutes=31)``)."""
    fake = clock.FrozenClock()
    with clock.use_clock(fake):
        yield fake
