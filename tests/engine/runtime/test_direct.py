"""``engine.runtime.direct``: each statement of the completion path gives the same rows and
writes the same values as SQLAlchemy's ``Connection.execute``, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import insert, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from engine import api  # noqa: F401  (first: loads the engine package in dependency order)
from engine.runtime import history, locking, task_rows, writes
from engine.runtime.direct import Direct
from engine.runtime.models import HumanTask, InstanceEvent, ProcessInstance
from services.db import db
from tests.engine.runtime.helpers import deploy_approval, start_approval
from tests.support.sql_statements import statements_sent

WHEN = datetime(2026, 3, 4, 5, 6, 7, 891011, tzinfo=UTC)


def _sa_rows(direct: Direct, params: dict[str, Any]) -> list[dict[str, Any]]:
    return [dict(row._mapping) for row in db.session.connection().execute(direct.statement, params)]


def _task_values(instance_id: int, **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "instance_id": instance_id,
        "spiff_task_id": "00000000-0000-0000-0000-0000000000aa",
        "task_spec": "review",
        "name": "审核",
        "process_key": "approval",
        "form_key": "approval_review",
        "due_at": WHEN,
        "title": "审核：关于春节值班的通知",
    }
    return {**values, **overrides}


def test_the_reads_give_what_sqlalchemy_gives(people) -> None:
    deploy_approval()
    view = start_approval(people)
    (row,) = task_rows.open_rows(view.id)
    reads = [
        (task_rows._OPEN_ROWS, {"instance_id": view.id}),
        (task_rows._ROWS_FOR_COMPLETION, {"instance_id": view.id, "task_id": row.id}),
    ]
    if db.engine.dialect.name != "sqlite":  # SQLite's lock is an UPDATE: see the next test
        reads.append((locking._LOCK_FOR_UPDATE, {"instance_id": view.id}))
    for direct, params in reads:
        expected = _sa_rows(direct, params)
        got = direct.all(params)
        assert expected and got == expected
        stamps = [value for row in got for value in row.values() if isinstance(value, datetime)]
        assert stamps and all(stamp.tzinfo is not None for stamp in stamps)


def test_the_lock_returns_the_instance_row_as_sqlalchemy_reads_it(people) -> None:
    deploy_approval()
    view = start_approval(people)
    stored = db.session.get(ProcessInstance, view.id)
    assert stored is not None
    expected = {c.key: getattr(stored, c.key) for c in ProcessInstance.__table__.c}
    db.session.commit()
    query = locking._LOCK_SQLITE if db.engine.dialect.name == "sqlite" else locking._LOCK_FOR_UPDATE
    assert query.first({"instance_id": view.id}) == expected
    assert query.first({"instance_id": view.id + 999}) is None


def test_an_insert_fills_python_defaults_and_round_trips_every_type(people) -> None:
    deploy_approval()
    view = start_approval(people)
    row_id = writes.insert_task(_task_values(view.id), candidates=[people.reviewer.id])
    db.session.expire_all()
    row = db.session.get(HumanTask, row_id)
    assert row is not None
    # Left out, filled from the column defaults as SQLAlchemy would.
    assert (row.status, row.active, row.priority, row.urgency, row.kind) == (
        "open",
        True,
        0,
        "normal",
        "task",
    )
    assert row.created_at is not None and row.created_at.tzinfo is not None
    assert row.due_at == WHEN and row.title == "审核：关于春节值班的通知"
    assert [c.user_id for c in row.candidates] == [people.reviewer.id]


def test_an_update_writes_the_same_values_as_sqlalchemy(people) -> None:
    deploy_approval()
    view = start_approval(people)
    (row,) = task_rows.open_rows(view.id)
    values = {"status": "completed", "active": False, "completed_at": WHEN, "claimed_at": None}
    writes.update_task(row, values)
    direct = _stored(HumanTask, row.id, values)
    other_id = writes.insert_task(_task_values(view.id), candidates=[])
    db.session.connection().execute(writes._UPDATE_TASK.statement, {"row_id": other_id, **values})
    assert direct == _stored(HumanTask, other_id, values) == values


def _stored(model: Any, row_id: int, values: dict[str, Any]) -> dict[str, Any]:
    columns = [getattr(model, key) for key in values]
    row = db.session.execute(select(*columns).where(model.id == row_id)).one()
    return dict(zip(values, row, strict=True))


def test_events_written_in_one_call_read_back_as_written(people) -> None:
    deploy_approval()
    view = start_approval(people)
    base = {"instance_id": view.id, "actor_id": people.starter.id, "kind": "note"}
    rows = [
        {
            **base,
            "seq": 100 + n,
            "at": WHEN + timedelta(seconds=n),
            "task_spec": None,
            "task_name": "拟稿",
            "data": {"意见": "同意", "n": n, "list": [1, "二"]},
            "prev_hash": "0" * 64,
            "hash": f"{n:064d}",
        }
        for n in range(3)
    ]
    history._INSERT_EVENT.executemany(rows)
    stored = db.session.scalars(
        select(InstanceEvent).where(InstanceEvent.seq >= 100).order_by(InstanceEvent.seq)
    ).all()
    assert [(e.seq, e.at, e.data, e.task_spec) for e in stored] == [
        (r["seq"], r["at"], r["data"], None) for r in rows
    ]


def test_errors_are_sqlalchemys_and_statements_are_seen_by_listeners(people) -> None:
    deploy_approval()
    view = start_approval(people)
    with statements_sent() as seen, pytest.raises(IntegrityError):
        # No such instance: the foreign key refuses the row.
        writes.insert_task(_task_values(view.id + 999), candidates=[])
    assert len(seen) == 1 and seen[0].startswith("INSERT INTO engine_human_task")


def test_the_insert_compiles_as_sqlalchemy_compiles_it(people) -> None:
    """Same SQL as ``Connection.execute`` sends for the same keys (checked through the event)."""
    deploy_approval()
    view = start_approval(people)
    values = _task_values(view.id)
    with statements_sent() as sent:
        writes.insert_task(values, candidates=[])
        other = {**values, "spiff_task_id": "00000000-0000-0000-0000-0000000000bb"}
        db.session.connection().execute(insert(HumanTask).returning(HumanTask.id), other)
    assert len(sent) == 2 and sent[0] == sent[1]


@pytest.mark.postgres_only
def test_a_lost_connection_is_invalidated_not_reused(people) -> None:
    deploy_approval()
    view = start_approval(people)
    db.session.commit()
    backend_pid = db.session.execute(text("SELECT pg_backend_pid()")).scalar_one()
    with db.engine.connect() as other:  # a second connection of the pool
        other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend_pid})
    with pytest.raises(DBAPIError) as raised:
        task_rows.open_rows(view.id)
    assert raised.value.connection_invalidated
    db.session.rollback()
    assert [row.instance_id for row in task_rows.open_rows(view.id)] == [view.id]
