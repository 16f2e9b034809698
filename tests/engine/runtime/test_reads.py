"""Core reads adopted as ORM objects (``engine.runtime.reads``) and the partial task indexes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import inspect, text

from engine import api
from engine.runtime import runtime
from engine.runtime.locking import lock_instance
from engine.runtime.models import HumanTask, ProcessInstance
from services.db import db
from tests.engine.runtime.helpers import active_rows, deploy_approval, start_approval


def test_the_lock_hands_back_the_session_object_with_the_values_just_read(people) -> None:
    deploy_approval()
    view = start_approval(people)
    held = db.session.get(ProcessInstance, view.id)
    # Another transaction moves the row on while this session holds a stale object.
    db.session.connection().execute(
        text(
            "UPDATE engine_process_instance SET title = '改过的标题', revision = 41 WHERE id = :id"
        ),
        {"id": view.id},
    )
    locked = lock_instance(view.id)
    assert locked is held
    assert (locked.title, locked.revision) == ("改过的标题", 41)
    state = inspect(locked)
    assert state.persistent and not state.modified  # nothing pending: the commit writes nothing
    assert isinstance(locked.created_at, datetime) and locked.created_at.tzinfo is not None


def test_an_adopted_object_is_persistent_clean_and_writes_its_changes(people) -> None:
    deploy_approval()
    view = start_approval(people)
    db.session.expunge_all()
    locked = lock_instance(view.id)
    state = inspect(locked)
    assert state.persistent and not state.modified
    assert locked.state.startswith("{") and locked.status == "running"
    locked.title = "新标题"
    db.session.commit()
    db.session.expunge_all()
    assert db.session.get(ProcessInstance, view.id).title == "新标题"


def test_open_rows_are_adopted_with_types_and_lazy_relationships(people) -> None:
    deploy_approval()
    view = start_approval(people)
    db.session.expunge_all()
    [row] = runtime.open_rows(view.id)
    assert row.active is True and row.status == "open"
    assert row.created_at.tzinfo is not None
    assert row.parent is None and row.candidates == []  # relationships load on access
    assert row is db.session.get(HumanTask, row.id)
    assert [r.id for r in active_rows(view.id)] == [row.id]


def _plan(sql: str, params: dict[str, int]) -> str:
    connection = db.session.connection()
    if connection.dialect.name == "sqlite":
        rows = connection.execute(text(f"EXPLAIN QUERY PLAN {sql}"), params)
        return " ".join(str(r[-1]) for r in rows)
    connection.execute(text("SET LOCAL enable_seqscan = off"))
    return " ".join(r[0] for r in connection.execute(text(f"EXPLAIN {sql}"), params))


def test_queries_by_a_partly_filled_column_use_its_partial_index(app) -> None:
    cases = {
        "ix_engine_human_task_done": "SELECT id FROM engine_human_task WHERE completed_by_id = :v "
        "ORDER BY completed_at DESC",
        "ix_engine_human_task_parent_id": "SELECT id FROM engine_human_task WHERE parent_id = :v",
        "ix_engine_human_task_delegated_from_id": "SELECT id FROM engine_human_task "
        "WHERE delegated_from_id = :v AND active",
        "ix_engine_instance_event_actor": "SELECT id FROM engine_instance_event "
        "WHERE actor_id = :v ORDER BY at DESC",
    }
    for index, sql in cases.items():
        assert "IS NOT NULL" in _index_definition(index)  # a new row (NULL there) skips it
        assert index in _plan(sql, {"v": 7}), sql


def _index_definition(name: str) -> str:
    connection = db.session.connection()
    if connection.dialect.name == "sqlite":
        query = "SELECT sql FROM sqlite_master WHERE name = :name"
    else:
        query = "SELECT indexdef FROM pg_indexes WHERE indexname = :name"
    return str(connection.execute(text(query), {"name": name}).scalar_one())


def test_a_claim_pending_in_the_session_is_read_back_by_the_completion(people) -> None:
    # 签收 and 办理 in one transaction (as a one-click "签收并办理" does): the claim is still a
    # pending ORM change when the completion reads the rows with Core statements.
    deploy_approval()
    view = start_approval(people, reviewer=["li", "wang"])
    [draft] = active_rows(view.id)
    api.complete_task(draft.id, actor_id=people.starter.id, data={"subject": "通知"})
    db.session.commit()
    [review] = active_rows(view.id)
    api.claim_task(review.id, people.reviewer.id)
    finished = api.complete_task(review.id, actor_id=people.reviewer.id, data={"approved": True})
    db.session.commit()
    assert finished.status == "completed"
    reviewer_id, review_id = people.reviewer.id, review.id
    db.session.expunge_all()
    row = db.session.get(HumanTask, review_id)
    assert (row.status, row.assignee_id, row.completed_by_id) == (
        "completed",
        reviewer_id,
        reviewer_id,
    )
