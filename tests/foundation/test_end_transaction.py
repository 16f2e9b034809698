"""``services.db.end_transaction``: nothing a finished request wrote stays, and on PostgreSQL a
request that only read keeps psycopg's prepared statements (a ROLLBACK would drop them)."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, insert, select, text
from sqlalchemy.exc import DBAPIError

from services.db import db, end_transaction
from services.org.models import Unit
from tests.conftest import make_test_app

COUNT_UNITS = select(func.count()).select_from(Unit)


def _unit_values(code: str) -> dict[str, object]:
    return {"code": code, "name": f"单位{code}", "short_name": code, "kind": "department"}


def test_a_core_write_not_committed_is_rolled_back(app: Flask) -> None:
    before = db.session.scalar(COUNT_UNITS)
    db.session.execute(insert(Unit).values(**_unit_values("core_w")))
    end_transaction()
    assert db.session.scalar(COUNT_UNITS) == before


def test_pending_and_flushed_orm_changes_are_rolled_back(app: Flask) -> None:
    before = db.session.scalar(COUNT_UNITS)
    db.session.add(Unit(**_unit_values("pending")))
    end_transaction()
    assert db.session.scalar(COUNT_UNITS) == before
    db.session.add(Unit(**_unit_values("flushed")))
    db.session.flush()
    end_transaction()
    assert db.session.scalar(COUNT_UNITS) == before


def test_no_transaction_is_left_alone(app: Flask) -> None:
    end_transaction()
    assert not db.session().in_transaction()


def _prepared_statements() -> int:
    query = text("SELECT count(*) FROM pg_prepared_statements")
    count: int = db.session.execute(query).scalar_one()
    return count


@pytest.mark.postgres_only
def test_a_read_only_transaction_keeps_prepared_statements(app: Flask) -> None:
    # psycopg prepares a statement on its sixth execution on a connection.
    for _ in range(6):
        db.session.execute(COUNT_UNITS)
        end_transaction()
    kept = _prepared_statements()
    assert kept >= 1
    # Why end_transaction exists: the session's rollback makes psycopg drop them all.
    db.session.rollback()
    assert _prepared_statements() == 0 < kept


@pytest.mark.postgres_only
def test_a_transaction_that_locked_a_row_is_rolled_back(app: Flask) -> None:
    """A row lock is a write (it assigns a transaction id): rolled back, not committed."""
    unit_id = db.session.execute(
        insert(Unit).values(**_unit_values("locked")).returning(Unit.id)
    ).scalar_one()
    db.session.commit()
    for _ in range(6):
        db.session.execute(COUNT_UNITS)
        end_transaction()
    assert _prepared_statements() >= 1
    db.session.execute(select(Unit.id).where(Unit.id == unit_id).with_for_update())
    end_transaction()
    assert _prepared_statements() == 0


def test_each_app_context_ends_with_it(database_url: str, tmp_path: Path) -> None:
    """The app's teardown calls it: a write left uncommitted in one context is gone in the next,
    and on PostgreSQL statements prepared by read-only contexts survive them."""
    application = make_test_app(database_url, tmp_path / "var")
    try:
        with application.app_context():
            before = db.session.scalar(COUNT_UNITS)
            db.session.execute(insert(Unit).values(**_unit_values("ctx_w")))
        for _ in range(6):
            with application.app_context():
                assert db.session.scalar(COUNT_UNITS) == before
        if database_url.startswith("postgresql"):
            with application.app_context():
                assert _prepared_statements() >= 1
    finally:
        with application.app_context():
            db.session.remove()
            db.engine.dispose()


def test_a_failed_transaction_is_rolled_back_quietly(app: Flask) -> None:
    """A database error the request answered itself leaves the transaction failed
    (PostgreSQL refuses every statement until it ends): it is rolled back, nothing raised."""
    before = db.session.scalar(COUNT_UNITS)
    db.session.execute(insert(Unit).values(**_unit_values("failed")))
    with pytest.raises(DBAPIError):
        db.session.execute(text("SELECT no_such_column FROM org_unit"))
    end_transaction()
    assert db.session.scalar(COUNT_UNITS) == before
