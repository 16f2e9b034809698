"""The completion path's statements, run on the DB-API cursor with SQL compiled once per shape.

Why by hand: ``Connection.execute`` costs about 35 µs of Python per statement on top of the SQL
itself (cache key, execution context, result set-up). Measured over a completion, that is
280 µs of 1.1 ms on SQLite and 380 µs on PostgreSQL, more than the SQL. SQLAlchemy has no
lighter public way to run a statement it has already compiled, so the statements run on
every completion (lock, open rows, task and instance writes, events) come here.

Everything else is still SQLAlchemy's:
- the SQL text: SQLAlchemy compiles it for the dialect, once per set of keys;
- the type handling: each column type's own bind and result processors, TypeDecorators
  (``UTCDateTime``) included;
- Python-side column defaults of an INSERT (``default=``) for keys the caller left out;
- the ``before_cursor_execute``/``after_cursor_execute`` events, so SQL logging and statement
  counters see these statements (with ``context=None``);
- exception wrapping: a DB-API error is raised as SQLAlchemy's (``IntegrityError`` ...).

Rows come back as dicts keyed by column key; ``reads.adopt`` turns them into ORM objects.
``tests/engine/runtime/test_direct.py`` checks, on both databases, that each statement gives
the same rows and writes the same values as ``Connection.execute``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError

from engine.runtime import reads
from services.db import db

Processor = Callable[[Any], Any]


class Direct:
    """A Core statement run on the session's DB-API cursor (see the module docstring)."""

    def __init__(self, statement: Any) -> None:
        self.statement = statement
        self._shapes: dict[tuple[str, frozenset[str]], _Shape] = {}

    def execute(self, params: Mapping[str, Any]) -> None:
        """Run the statement once; nothing is read back."""
        self._run(params, fetch=False)

    def first(self, params: Mapping[str, Any]) -> dict[str, Any] | None:
        """The first row (every returned column, by key), or None."""
        rows = self._run(params, fetch=True)
        return rows[0] if rows else None

    def all(self, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Every row (every returned column, by key)."""
        return self._run(params, fetch=True)

    def executemany(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """Run the statement for each of ``rows`` (all with the same keys) in one call."""
        if not rows:
            return
        connection = db.session.connection()
        shape = self._shape(connection.dialect, rows[0].keys())
        params = [shape.bind(row) for row in rows]
        _call(connection, shape.sql, params, many=True).close()

    def _run(self, params: Mapping[str, Any], *, fetch: bool) -> list[dict[str, Any]]:
        # Rows read back (``first``/``all``, an INSERT ... RETURNING included) flush the session
        # first, as an ORM query would (``reads.connection``); ``execute`` does not.
        connection = reads.connection() if fetch else db.session.connection()
        shape = self._shape(connection.dialect, params.keys())
        cursor = _call(connection, shape.sql, shape.bind(params), many=False)
        try:
            return shape.rows(cursor, connection.dialect) if fetch else []
        finally:
            cursor.close()

    def _shape(self, dialect: Dialect, keys: Any) -> _Shape:
        key = (dialect.name, frozenset(keys))
        shape = self._shapes.get(key)
        if shape is None:
            shape = self._shapes[key] = _Shape(self.statement, dialect, key[1])
        return shape


class _Shape:
    """The statement compiled for one dialect and one set of parameter keys."""

    def __init__(self, statement: Any, dialect: Dialect, keys: frozenset[str]) -> None:
        compiled = statement.compile(dialect=dialect, column_keys=sorted(keys))
        self.compiled = compiled
        self.sql: str = compiled.string
        self.order: Sequence[str] | None = compiled.positiontup if compiled.positional else None
        self.processors: dict[str, Processor] = {}
        for name, bind in compiled.binds.items():
            processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                self.processors[name] = processor
        # Columns whose Python-side default SQLAlchemy would compute for this INSERT/UPDATE.
        prefetch = list(getattr(compiled, "insert_prefetch", ())) + list(
            getattr(compiled, "update_prefetch", ())
        )
        self.defaults = [(column.key, column.default) for column in prefetch]
        self.columns = list(getattr(statement, "exported_columns", ()))
        self._results: list[tuple[str, Processor | None]] | None = None

    def bind(self, params: Mapping[str, Any]) -> Any:
        values = self.compiled.construct_params(dict(params))
        for key, default in self.defaults:
            if values.get(key) is None and key not in params:
                values[key] = default.arg(None) if default.is_callable else default.arg
        for name, processor in self.processors.items():
            if name in values:
                values[name] = processor(values[name])
        if self.order is None:
            return values
        return tuple(values[name] for name in self.order)

    def rows(self, cursor: Any, dialect: Dialect) -> list[dict[str, Any]]:
        if self._results is None:
            # The DB-API type code of each column chooses some processors: take it from the
            # first result, as SQLAlchemy does.
            self._results = [
                (column.key, column.type.dialect_impl(dialect).result_processor(dialect, desc[1]))
                for column, desc in zip(self.columns, cursor.description, strict=True)
            ]
        results = self._results
        return [
            {
                key: processor(value) if processor else value
                for (key, processor), value in zip(results, raw, strict=True)
            }
            for raw in cursor.fetchall()
        ]


def _call(connection: Connection, sql: str, params: Any, *, many: bool) -> Any:
    """Run ``sql`` on the connection's DB-API cursor with SQLAlchemy's events and errors."""
    dbapi_connection = connection.connection.dbapi_connection
    assert dbapi_connection is not None
    cursor = dbapi_connection.cursor()
    dispatch = connection.dispatch
    dispatch.before_cursor_execute(connection, cursor, sql, params, None, many)
    try:
        if many:
            cursor.executemany(sql, params)
        else:
            cursor.execute(sql, params)
    except connection.dialect.loaded_dbapi.Error as exc:
        cursor.close()
        # As SQLAlchemy does: a lost connection is not handed back to the pool for reuse.
        lost = connection.dialect.is_disconnect(exc, dbapi_connection, cursor)
        if lost:
            connection.invalidate(exc)
        raise DBAPIError.instance(
            sql,
            params,
            exc,
            connection.dialect.loaded_dbapi.Error,
            connection_invalidated=lost,
            dialect=connection.dialect,
        ) from exc
    dispatch.after_cursor_execute(connection, cursor, sql, params, None, many)
    return cursor
