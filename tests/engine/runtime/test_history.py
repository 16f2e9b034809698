"""The event log: hash-chained per instance; verification names the first bad event."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, update

from engine.runtime import history
from engine.runtime.models import InstanceEvent, ProcessInstance
from services.db import db
from tests.engine.runtime.conftest import make_bare_instance


def write_events(instance: ProcessInstance, count: int) -> None:
    log = history.open_log(instance)
    for n in range(count):
        log.append("task_completed", actor_id=None, task_name="审核", data={"意见": f"同意{n}"})
    db.session.commit()


def test_chain_links_each_event_to_the_previous(people, frozen_clock) -> None:
    instance = make_bare_instance(people.starter)
    write_events(instance, 2)
    frozen_clock.advance(minutes=5)
    write_events(instance, 1)  # a later change reopens the chain where it ended

    events = history.history(instance.id)
    assert [e.seq for e in events] == [1, 2, 3]
    assert events[0].data == {"意见": "同意0"}
    rows = db.session.query(InstanceEvent).order_by(InstanceEvent.seq).all()
    assert rows[0].prev_hash == history.GENESIS_HASH
    assert [r.prev_hash for r in rows[1:]] == [r.hash for r in rows[:-1]]
    assert history.verify_instance(instance.id).ok


def test_chains_are_per_instance(people) -> None:
    first = make_bare_instance(people.starter, "bare_a")
    second = make_bare_instance(people.starter, "bare_b")
    write_events(first, 2)
    write_events(second, 1)
    assert [e.seq for e in history.history(second.id)] == [1]
    assert history.verify_instance(first.id).ok and history.verify_instance(second.id).ok


@pytest.mark.parametrize(
    ("tamper", "bad_seq", "words"),
    [
        (
            update(InstanceEvent).where(InstanceEvent.seq == 2).values(data={"意见": "不同意"}),
            2,
            "篡改",
        ),
        (
            update(InstanceEvent).where(InstanceEvent.seq == 3).values(actor_id=None, kind="x"),
            3,
            "篡改",
        ),
        (delete(InstanceEvent).where(InstanceEvent.seq == 2), 3, "删除"),
        (update(InstanceEvent).where(InstanceEvent.seq == 4).values(prev_hash="f" * 64), 4, "链接"),
        (delete(InstanceEvent).where(InstanceEvent.seq == 4), 4, "删除"),
    ],
    ids=["data-changed", "kind-changed", "event-deleted", "link-rewritten", "last-deleted"],
)
def test_tampering_is_detected_at_the_first_bad_event(people, tamper, bad_seq, words) -> None:
    instance = make_bare_instance(people.starter)
    write_events(instance, 4)
    db.session.execute(tamper.where(InstanceEvent.instance_id == instance.id))
    db.session.commit()

    check = history.verify_instance(instance.id)
    assert not check.ok
    assert check.first_bad_seq == bad_seq
    assert words in check.message
