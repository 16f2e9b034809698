"""Messages across instances: rows in the sender's transaction, correlation, message starts."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engine import api
from engine.runtime.models import ProcessInstance
from engine.runtime.wait_models import EngineMessage, MessageSubscription
from services.db import db
from tests.engine.waits.conftest import deploy
from tests.engine.waits.helpers import active_specs, event_kinds


def start(people, key: str, **data) -> int:
    view = api.start_instance(key, starter_id=people.starter.id, data=data)
    db.session.commit()
    return view.id


def messages() -> list[EngineMessage]:
    return list(
        db.session.scalars(
            select(EngineMessage)
            .order_by(EngineMessage.id)
            .execution_options(populate_existing=True)
        )
    )


def instances_of(key: str) -> list[ProcessInstance]:
    return list(
        db.session.scalars(
            select(ProcessInstance)
            .where(ProcessInstance.process_key == key)
            .order_by(ProcessInstance.id)
        )
    )


def test_waiting_catch_events_become_subscriptions_with_their_correlation(people) -> None:
    deploy("waits_receiver")
    instance_id = start(people, "waits_receiver", doc_id="市府办〔2025〕7号")
    (sub,) = db.session.scalars(select(MessageSubscription)).all()
    assert (sub.instance_id, sub.kind, sub.message_name) == (instance_id, "intermediate", "reply")
    assert sub.correlation == {"doc_id": "市府办〔2025〕7号"} and sub.active


@pytest.mark.parametrize("target", ["A", "B", "C"])
def test_message_goes_to_the_one_instance_with_matching_correlation(people, target) -> None:
    deploy("waits_receiver", "waits_sender")
    receivers = {doc: start(people, "waits_receiver", doc_id=doc) for doc in "ABC"}
    sender = start(people, "waits_sender", doc_id=target, answer="同意")
    # Queued in the sender's own transaction, not yet delivered.
    (queued,) = messages()
    assert (queued.name, queued.correlation, queued.status) == (
        "reply",
        {"doc_id": target},
        "pending",
    )
    assert queued.source_instance_id == sender
    assert api.deliver_messages(worker_id="w1") == 1
    for doc, instance_id in receivers.items():
        expected = ["read"] if doc == target else []
        assert active_specs(instance_id) == expected
    (delivered,) = messages()
    assert (delivered.status, delivered.delivered_to) == ("delivered", [receivers[target]])
    instance = db.session.get(ProcessInstance, receivers[target])
    assert instance is not None
    assert "message_received" in event_kinds(instance.id)
    assert api.deliver_messages(worker_id="w1") == 0  # exactly once


def test_message_start_event_starts_one_instance_per_message(people) -> None:
    deploy("waits_shouwen")
    units = ["市财政局", "市教育局", "市卫健委"]
    for unit in units:
        api.send_message("fawen_issued", payload={"unit": unit}, sender_id=people.starter.id)
    db.session.commit()
    assert api.deliver_messages(worker_id="w1") == 3
    started = instances_of("waits_shouwen")
    assert len(started) == 3
    for instance, unit in zip(started, units, strict=True):
        assert active_specs(instance.id) == ["register"]
        assert unit in instance.state  # the payload is the new instance's ``incoming`` data
        assert instance.starter_id == people.starter.id
        assert event_kinds(instance.id)[:2] == ["instance_started", "message_received"]
    assert sorted(m.delivered_to[0] for m in messages()) == [i.id for i in started]
    assert api.deliver_messages(worker_id="w1") == 0


def test_bpmn_message_end_event_is_queued_and_starts_the_receiving_process(people) -> None:
    deploy("waits_fawen", "waits_shouwen")
    sender = start(people, "waits_fawen", subject="关于做好防汛工作的通知")
    (queued,) = messages()
    assert (queued.name, queued.payload) == ("fawen_issued", {"subject": "关于做好防汛工作的通知"})
    assert "message_sent" in event_kinds(sender)
    assert api.deliver_messages(worker_id="w1") == 1
    (shouwen,) = instances_of("waits_shouwen")
    assert active_specs(shouwen.id) == ["register"]
    assert shouwen.starter_id == people.starter.id  # the sending instance's starter


def test_a_message_nobody_waits_for_stays_pending_until_someone_does(people) -> None:
    deploy("waits_receiver")
    api.send_message("reply", {"doc_id": "Z"}, {"answer": "已阅"}, sender_id=people.starter.id)
    db.session.commit()
    assert api.deliver_messages(worker_id="w1") == 0
    (pending,) = messages()
    assert (pending.status, pending.attempts) == ("pending", 1)
    assert "暂无等待该消息的流程实例" in (pending.last_error or "")
    receiver = start(people, "waits_receiver", doc_id="Z")
    assert api.deliver_messages(worker_id="w1") == 1
    assert active_specs(receiver) == ["read"]


def test_delivered_subscription_is_closed(people) -> None:
    deploy("waits_receiver")
    receiver = start(people, "waits_receiver", doc_id="A")
    for _ in range(2):
        api.send_message("reply", {"doc_id": "A"}, {"answer": "同意"}, sender_id=people.starter.id)
    db.session.commit()
    assert api.deliver_messages(worker_id="w1") == 1
    sub = db.session.scalars(select(MessageSubscription)).one()
    db.session.refresh(sub)
    assert sub.instance_id == receiver and not sub.active
    statuses = sorted(m.status for m in messages())
    assert statuses == ["delivered", "pending"]
