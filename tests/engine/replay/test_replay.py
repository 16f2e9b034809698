"""Replay: recorded inputs re-executed in memory reproduce the log; tampering is caught."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from engine.runtime import history, replay
from engine.runtime.models import InstanceEvent, ProcessInstance
from services.db import db
from services.errors import Conflict
from tests.engine.replay.flows import APPROVE, REJECT_THEN_APPROVE, run_approval
from tests.engine.runtime.helpers import SUBJECT

STAGES = {
    "started": [],
    "at_review": APPROVE[:1],
    "completed": APPROVE,
    "after_reject_loop": REJECT_THEN_APPROVE[:3],
    "completed_after_loop": REJECT_THEN_APPROVE,
}


def events_of(instance_id: int) -> list[InstanceEvent]:
    query = select(InstanceEvent).where(InstanceEvent.instance_id == instance_id)
    return list(db.session.scalars(query.order_by(InstanceEvent.seq)))


def event_of(instance_id: int, kind: str, task_spec: str, nth: int = 0) -> InstanceEvent:
    found = [e for e in events_of(instance_id) if (e.kind, e.task_spec) == (kind, task_spec)]
    return found[nth]


@pytest.mark.parametrize("stage", sorted(STAGES))
def test_replay_of_an_untouched_instance_agrees(people, stage) -> None:
    instance_id = run_approval(people, STAGES[stage])
    state_before = db.session.get(ProcessInstance, instance_id).state

    report = replay.replay(instance_id)

    assert report.ok, report.message
    assert report.events_checked == len(events_of(instance_id))
    assert "重放一致" in report.message
    assert db.session.get(ProcessInstance, instance_id).state == state_before


def test_an_event_changed_in_the_database_breaks_the_chain(people) -> None:
    instance_id = run_approval(people, APPROVE)
    tampered = event_of(instance_id, "task_completed", "review")
    db.session.execute(
        update(InstanceEvent)
        .where(InstanceEvent.id == tampered.id)
        .values(data={"task_id": tampered.data["task_id"], "data": {"approved": False}})
    )
    db.session.commit()

    report = replay.replay(instance_id)

    assert report.status == "tampered"
    assert f"第 {tampered.seq} 条" in report.message


def rehash_from(instance_id: int, seq: int) -> None:
    """What an attacker with database access does: recompute the chain after an edit."""
    events = events_of(instance_id)
    prev = events[seq - 2].hash if seq > 1 else history.GENESIS_HASH
    for event in events[seq - 1 :]:
        event.prev_hash = prev
        event.hash = prev = history.event_hash(prev, history._fields(event))
    instance = db.session.get(ProcessInstance, instance_id)
    instance.event_hash = prev
    db.session.commit()


def test_a_rehashed_altered_input_is_caught_by_replay(people) -> None:
    instance_id = run_approval(people, APPROVE)
    altered = event_of(instance_id, "task_completed", "review")
    altered.data = {"task_id": altered.data["task_id"], "data": {"approved": False}}
    db.session.commit()
    rehash_from(instance_id, altered.seq)
    assert history.verify_instance(instance_id).ok

    report = replay.replay(instance_id)

    gateway = event_of(instance_id, "gateway_passed", "decide")
    assert report.status == "diverged"
    assert report.divergence is not None and report.divergence.seq == gateway.seq
    assert "登记" in report.divergence.expected and "拟稿" in report.divergence.got
    assert f"第 {gateway.seq} 条事件与重放结果不一致" in report.message


def test_a_dropped_engine_event_is_a_divergence(people) -> None:
    instance_id = run_approval(people, APPROVE)
    script = event_of(instance_id, "script_run", "register")
    script.kind, script.task_spec, script.task_name = "gateway_passed", "decide", "审核结果"
    db.session.commit()
    rehash_from(instance_id, script.seq)

    report = replay.replay(instance_id)

    assert report.status == "diverged" and report.divergence.seq == script.seq
    assert "登记" in report.divergence.got


def expected_data(kind: str, spec: str | None) -> dict[str, object]:
    started = {"title": SUBJECT, "subject": SUBJECT, "reviewer": "li"}
    reviewed = {**started, "approved": True, "opinion": "同意"}
    return {
        ("instance_started", None): started,
        ("task_created", "draft"): started,
        ("task_completed", "draft"): started,
        ("task_created", "review"): started,
        ("task_completed", "review"): reviewed,
        ("gateway_passed", "decide"): reviewed,
        ("script_run", "register"): {**reviewed, "registered": "已登记：" + SUBJECT},
        ("instance_completed", None): {**reviewed, "registered": "已登记：" + SUBJECT},
    }[(kind, spec)]


def test_data_as_of_each_event(people) -> None:
    instance_id = run_approval(people, APPROVE)
    events = events_of(instance_id)
    assert [e.kind for e in events][-1] == "instance_completed"
    for event in events:
        assert replay.data_as_of(instance_id, event.seq) == expected_data(
            event.kind, event.task_spec
        ), event.kind


def test_data_as_of_refuses_after_a_divergence(people) -> None:
    instance_id = run_approval(people, APPROVE)
    altered = event_of(instance_id, "task_completed", "review")
    altered.data = {"task_id": altered.data["task_id"], "data": {"approved": False}}
    db.session.commit()
    rehash_from(instance_id, altered.seq)
    assert replay.data_as_of(instance_id, altered.seq)["approved"] is False
    with pytest.raises(Conflict):
        replay.data_as_of(instance_id, events_of(instance_id)[-1].seq)
