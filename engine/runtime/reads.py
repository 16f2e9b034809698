"""Core reads of the start/complete path, handed back as the session's ORM objects.

Loading an entity through the ORM (``session.scalars(select(Model))``) costs two to three times
the SQL it runs: measured on SQLite, 97 µs of Python for the 20 µs instance lock, 50 µs for the
open task rows. The path runs these reads on every completion, so they are Core statements
(``columns_of``, run by ``direct``) and ``adopt`` turns each row (a dict of column values) into
the persistent object the rest of the engine
expects, as the ORM's loader would: an object the session already holds gets the row's values as
its committed state (``populate_existing``: what was read before the lock may be stale), any
other is built without ``__init__``, its history cleared, and attached. Relationships are left
unloaded and load lazily on first access.

SQLAlchemy has no public "adopt this row" call: ``Session.merge(load=False)`` wants a clean
object and costs about as much as the query, hence this module (docs/engine-internals.md, 4).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from sqlalchemy import Connection, Select, Table, select
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from services.db import db

Model = TypeVar("Model")


def table_of(model: type[Any]) -> Table:
    """The table ``model`` is mapped to (its columns are named as its attributes here)."""
    table: Table = model.__table__
    return table


def columns_of(model: type[Any]) -> Select[Any]:
    """``SELECT`` of every column of ``model``'s table: rows ``adopt`` can take."""
    return select(*table_of(model).c)


def connection() -> Connection:
    """The session's connection, flushed first as an ORM query would be (autoflush).

    Core statements skip the ORM's autoflush: without it a change still pending in the session
    (a 签收 earlier in the same transaction) would be read back stale and then overwritten by
    ``adopt``. Inside ``no_autoflush`` nothing is flushed, as with an ORM query.
    """
    session = db.session
    if session.autoflush:
        session.flush()
    return session.connection()


def adopt(model: type[Model], row: Mapping[Any, Any]) -> Model:
    """The session's persistent ``model`` object for ``row`` (every column, keyed by name)."""
    session = db.session
    obj: Model | None = session.identity_map.get(session.identity_key(model, (row["id"],)))
    if obj is not None:
        for key, value in row.items():
            set_committed_value(obj, key, value)
        return obj
    obj = model.__mapper__.class_manager.new_instance()  # type: ignore[attr-defined]
    obj.__dict__.update(row)  # the instrumented attributes keep their values in __dict__
    make_transient_to_detached(obj)  # identity key from the values; no pending changes
    session.add(obj)
    return obj


def adopt_all(model: type[Model], rows: Iterable[Mapping[Any, Any]]) -> list[Model]:
    """``adopt`` for every row (as ``direct.Direct.all`` gives them)."""
    return [adopt(model, row) for row in rows]
