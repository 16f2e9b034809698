"""The schema comes from Alembic and matches the models exactly, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

import migrations
import migrations.models
from services.db import Base


def test_upgrade_empty_database_to_head_and_models_match(database_url: str) -> None:
    # database_url is a copy of the migrated template; also upgrade a truly empty database.
    engine = create_engine(database_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    engine.dispose()
    assert diff == [], f"models and migrations differ: {diff}"


def test_empty_sqlite_upgrades_to_head(tmp_path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    migrations.upgrade_to_head(engine)
    tables = set(inspect(engine).get_table_names())
    engine.dispose()
    assert set(Base.metadata.tables) <= tables
    assert "alembic_version" in tables


def test_empty_postgresql_upgrades_to_head(pg_cluster) -> None:
    from sqlalchemy import text

    admin = create_engine(pg_cluster.url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("CREATE DATABASE oa_empty_upgrade"))
    admin.dispose()
    engine = create_engine(pg_cluster.url("oa_empty_upgrade"))
    migrations.upgrade_to_head(engine)
    tables = set(inspect(engine).get_table_names())
    engine.dispose()
    assert set(Base.metadata.tables) <= tables
