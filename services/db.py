"""The one declarative base and session for every table of the platform.

Flask-SQLAlchemy provides the scoped session; anything outside a web request (CLI, scheduler,
tests) pushes an application context and uses the same ``db.session``. Engine and service
functions never commit: the route, the CLI command or the job owns the transaction.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from typing import Any

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import DateTime, MetaData, event, text
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC on both databases (SQLite stores naive text, PostgreSQL timestamptz)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


db = SQLAlchemy(model_class=Base)


def engine_options(database_url: str) -> dict[str, Any]:
    """Connection options per backend."""
    if database_url.startswith("sqlite"):
        # One file shared by threads of the dev server and the scheduler.
        return {"connect_args": {"check_same_thread": False, "timeout": 30}}
    # No pool_pre_ping: it costs a round trip on every checkout (every request, every job
    # transaction). A connection the server dropped fails once, and SQLAlchemy then discards
    # the whole pool; pool_recycle retires connections before idle timeouts can close them.
    return {"pool_recycle": 1800, "pool_size": 10, "max_overflow": 10}


# txid_current_if_assigned() is NULL until the transaction writes (PostgreSQL assigns a
# transaction id on the first write, a row lock included).
_WROTE = text("SELECT txid_current_if_assigned() IS NOT NULL")


def end_transaction() -> None:
    """End the session's transaction keeping nothing it did: for a request or job that is done.

    On PostgreSQL a transaction that wrote nothing ends with COMMIT, not ROLLBACK. psycopg
    forgets every prepared statement on ROLLBACK (it cannot tell whether the rolled-back work
    dropped what they refer to), so ending each read-only request with the session's usual
    rollback threw away the server-side plans the next request on that connection would reuse:
    completing a task took 3.2 ms with them thrown away and 2.5 ms with them kept
    (docs/engine-internals.md, 8). For a transaction that wrote nothing, COMMIT and ROLLBACK
    have the same effect. Anything written, flushed or still pending in the session is rolled back.
    """
    session = db.session()  # the Session itself: the scoped proxy has no in_transaction()
    if not session.in_transaction():
        return
    if (
        db.engine.dialect.name == "postgresql"
        and not (session.new or session.dirty or session.deleted)
        and not _wrote(session)
    ):
        session.commit()
    else:
        session.rollback()


def _wrote(session: Any) -> bool:
    try:
        return bool(session.connection().execute(_WROTE).scalar_one())
    except DBAPIError:
        # The transaction already failed (a database error the request answered itself):
        # nothing to keep, roll it back.
        return True


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """Foreign keys on, WAL for concurrent readers, and a busy timeout instead of instant errors."""
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
