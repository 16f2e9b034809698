"""Replay of instances that went through operations, timers, messages and termination.

Each scenario drives a real instance through the runtime (and commits), then replays it: the
replay must agree on every event and leave no kind unreplayed; an input altered after the
operation, with the hash chain recomputed, must still show as a divergence.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from engine import api
from engine.definitions import repository
from engine.runtime import history, replay
from engine.runtime.models import InstanceEvent, ProcessInstance
from services.db import db
from services.notify.models import Notification
from tests.engine.operations import conftest as operations_conftest
from tests.engine.operations.conftest import Staff
from tests.engine.operations.helpers import (
    SUBJECT,
    complete_current,
    deploy_countersign,
    only_active,
    start_chain,
)
from tests.engine.replay.conftest import BPMN_DIR
from tests.engine.replay.test_replay import events_of, rehash_from
from tests.engine.runtime.helpers import active_rows, deploy_approval, start_approval

# The operations tests' staff (with a 系统管理员) and processes, reused as fixtures here.
staff = operations_conftest.staff
ops = operations_conftest.ops
WAITS_BPMN = Path(__file__).parent.parent / "waits" / "bpmn"
APPROVED = {"approved": True, "opinion": "同意"}


def deploy_files(*paths: Path) -> None:
    for path in paths:
        repository.deploy({path.name: path.read_bytes()}, deployed_by=None, comment="replay")
    db.session.commit()


def commit(result: Any = None) -> Any:
    db.session.commit()
    return result


# ---------------------------------------------------------------------------- scenarios
# Each drives one instance and returns its id.


def send_back_loops(crew: Staff, clock: Any) -> int:
    """退回 from 审核 to 拟稿 three times, once through the BPMN reject path too, then approve."""
    deploy_approval()
    view = start_approval(crew)
    for loop in range(3):
        complete_current(view.id, crew.starter, {"subject": f"{SUBJECT}（第{loop + 1}稿）"})
        review = only_active(view.id)
        commit(
            api.send_back(
                review.id, actor_id=crew.reviewer.id, target_task_spec="draft", reason="请修改"
            )
        )
    complete_current(view.id, crew.starter, {"subject": SUBJECT})
    complete_current(view.id, crew.reviewer, {"approved": False, "opinion": "再改"})
    complete_current(view.id, crew.starter, {"subject": SUBJECT + "（定稿）"})
    complete_current(view.id, crew.reviewer, APPROVED)
    return view.id


def send_back_over_two_steps(crew: Staff, clock: Any) -> int:
    """签发 sends back past 审核 to 拟稿; the chain is walked again to the end."""
    view = start_chain(crew)
    complete_current(view.id, crew.starter, {"subject": SUBJECT})
    complete_current(view.id, crew.reviewer, APPROVED)
    approve = only_active(view.id)
    commit(
        api.send_back(
            approve.id, actor_id=crew.approver.id, target_task_spec="draft", reason="重拟"
        )
    )
    complete_current(view.id, crew.starter, {"subject": SUBJECT + "（重拟）"})
    complete_current(view.id, crew.reviewer, APPROVED)
    complete_current(view.id, crew.approver, {"comment": "签发"})
    return view.id


def withdraw(crew: Staff, clock: Any) -> int:
    """取回 after 拟稿, then 拟稿 again and on to 签发."""
    view = start_chain(crew)
    draft = complete_current(view.id, crew.starter, {"subject": SUBJECT})
    commit(api.withdraw_task(draft.id, actor_id=crew.starter.id))
    complete_current(view.id, crew.starter, {"subject": SUBJECT + "（修改）"})
    complete_current(view.id, crew.reviewer, APPROVED)
    return view.id


def reassign(crew: Staff, clock: Any) -> int:
    """转办 of 审核 to 钱七, who completes it."""
    view = start_chain(crew)
    complete_current(view.id, crew.starter, {"subject": SUBJECT})
    review = only_active(view.id)
    commit(
        api.reassign_task(
            review.id, actor_id=crew.reviewer.id, to_user_id=crew.helper.id, reason="出差"
        )
    )
    complete_current(view.id, crew.helper, APPROVED)
    return view.id


def addsign(position: str) -> Callable[[Staff, Any], int]:
    def scenario(crew: Staff, clock: Any) -> int:
        """加签 on 审核; signer and holder complete in the order the position implies."""
        view = start_chain(crew)
        complete_current(view.id, crew.starter, {"subject": SUBJECT})
        review = only_active(view.id)
        signer = api.add_signer(
            review.id,
            actor_id=crew.reviewer.id,
            user_id=crew.helper.id,
            position=position,
            reason="把关",
        )
        commit()
        order = [
            (signer.id, crew.helper, {"comment": "可行"}),
            (review.id, crew.reviewer, APPROVED),
        ]
        for task_id, actor, data in order if position == "before" else order[::-1]:
            commit(api.complete_task(task_id, actor_id=actor.id, data=data))
        complete_current(view.id, crew.approver, {"comment": "签发"})
        return view.id

    return scenario


def countersign(rule: str, sequential: bool, votes: list[bool]) -> Callable[[Staff, Any], int]:
    def scenario(crew: Staff, clock: Any) -> int:
        """A 会签 whose completion condition ends it once the votes decide."""
        key = deploy_countersign(rule, sequential)
        signers = {"li": crew.reviewer, "zhao": crew.approver, "qian": crew.helper}
        view = api.start_instance(key, starter_id=crew.starter.id, data={"signers": list(signers)})
        commit()
        for user, vote in zip(signers.values(), votes, strict=False):
            row = next(r for r in active_rows(view.id) if r.assignee_id == user.id)
            commit(api.complete_task(row.id, actor_id=user.id, data={"approved": vote}))
        complete_current(view.id, crew.starter, {"comment": "汇总"})
        return view.id

    return scenario


def deadline_timer(crew: Staff, clock: Any) -> int:
    """The interrupting 拟稿期限 fires: 拟稿 is cancelled and the instance ends as expired."""
    view = api.start_instance("ops_deadline", starter_id=crew.starter.id, data={"reviewer": "li"})
    commit()
    clock.advance(days=3)
    assert api.fire_due_timers(worker_id="w1") == 1
    return view.id


def reminder_timer(crew: Staff, clock: Any) -> int:
    """A non-interrupting 催办 fires after an hour; 拟稿 stays open and is completed later."""
    deploy_files(BPMN_DIR / "replay_remind.bpmn")
    view = api.start_instance("replay_remind", starter_id=crew.starter.id, data={})
    commit()
    clock.advance(hours=2)
    assert api.fire_due_timers(worker_id="w1") == 1
    clock.advance(minutes=5)
    complete_current(view.id, crew.starter, {"comment": "已办"})
    return view.id


def reminder_service(crew: Staff, clock: Any) -> int:
    """The 催办 boundary timer calls notify.remind (replay feeds its recorded result), and the
    interrupting 办理期限 fires later."""
    deploy_files(WAITS_BPMN / "waits_deadline.bpmn")
    view = api.start_instance("waits_deadline", starter_id=crew.starter.id, data={"reviewer": "li"})
    commit()
    clock.advance(hours=4)
    assert api.fire_due_timers(worker_id="w1") == 1
    clock.advance(days=2)
    assert api.fire_due_timers(worker_id="w1") == 1
    return view.id


def message_received(crew: Staff, clock: Any) -> int:
    """An intermediate catch event gets its correlated reply, then 阅处回复 is done."""
    deploy_files(WAITS_BPMN / "waits_receiver.bpmn")
    view = api.start_instance("waits_receiver", starter_id=crew.starter.id, data={"doc_id": 7})
    commit()
    api.send_message("reply", {"doc_id": 7}, {"answer": "同意"}, sender_id=crew.reviewer.id)
    commit()
    assert api.deliver_messages(worker_id="w1") == 1
    complete_current(view.id, crew.starter, {"comment": "已阅"})
    return view.id


def message_sent(crew: Staff, clock: Any) -> int:
    """A message end event throws 发文; the sender instance is the one replayed."""
    deploy_files(WAITS_BPMN / "waits_fawen.bpmn", WAITS_BPMN / "waits_shouwen.bpmn")
    view = api.start_instance("waits_fawen", starter_id=crew.starter.id, data={"subject": SUBJECT})
    return commit(view.id)


def message_started(crew: Staff, clock: Any) -> int:
    """收文 started by a message: instance_started, then message_received at its start event."""
    message_sent(crew, clock)
    assert api.deliver_messages(worker_id="w1") == 1
    query = select(ProcessInstance.id).where(ProcessInstance.process_key == "waits_shouwen")
    instance_id = db.session.scalars(query).one()
    complete_current(instance_id, crew.starter, {"comment": "登记"})
    return instance_id


def terminated(crew: Staff, clock: Any) -> int:
    """Terminated at 审核 after a 挂起 and 恢复."""
    view = start_chain(crew)
    complete_current(view.id, crew.starter, {"subject": SUBJECT})
    commit(api.suspend_instance(view.id, admin_id=crew.admin.id, reason="核查"))
    commit(api.resume_instance(view.id, admin_id=crew.admin.id, reason="核查完毕"))
    commit(api.terminate_instance(view.id, admin_id=crew.admin.id, reason="撤销发文"))
    return view.id


def skipped(crew: Staff, clock: Any) -> int:
    """疏通 skips a reply that will never come; 阅处 follows and is completed."""
    view = api.start_instance("ops_stuck", starter_id=crew.starter.id, data={"doc_id": 7})
    commit()
    commit(
        api.unblock_instance(
            view.id, admin_id=crew.admin.id, reason="已撤销", skip_task_spec="await_reply"
        )
    )
    complete_current(view.id, crew.starter, {"comment": "已阅"})
    return view.id


def on_behalf(crew: Staff, clock: Any) -> int:
    """疏通 completes 审核 on behalf of its holder; 签发 then sends back to it."""
    view = start_chain(crew)
    complete_current(view.id, crew.starter, {"subject": SUBJECT})
    review = only_active(view.id)
    api.unblock_instance(
        view.id, admin_id=crew.admin.id, reason="病休", task_id=review.id, data=APPROVED
    )
    commit()
    approve = only_active(view.id)
    commit(
        api.send_back(
            approve.id, actor_id=crew.approver.id, target_task_spec="review", reason="复核"
        )
    )
    complete_current(view.id, crew.reviewer, APPROVED)
    return view.id


# name -> (scenario, event kinds the instance's log must show)
SCENARIOS: dict[str, tuple[Callable[[Staff, Any], int], set[str]]] = {
    "send_back_loops": (send_back_loops, {"task_sent_back", "instance_completed"}),
    "send_back_over_two_steps": (send_back_over_two_steps, {"task_sent_back"}),
    "withdraw": (withdraw, {"task_withdrawn"}),
    "reassign": (reassign, {"task_reassigned"}),
    "addsign_before": (addsign("before"), {"addsign_added", "addsign_completed"}),
    "addsign_after": (addsign("after"), {"addsign_added", "addsign_passed"}),
    "countersign_any_rejects": (
        countersign("any_rejects", False, [True, False]),
        {"task_cancelled", "instance_completed"},
    ),
    "countersign_two_of_three_seq": (
        countersign("two_of_three", True, [True, False, True]),
        {"instance_completed"},
    ),
    "deadline_timer": (deadline_timer, {"timer_scheduled", "timer_fired", "instance_completed"}),
    "reminder_timer": (reminder_timer, {"timer_fired", "script_run", "instance_completed"}),
    "reminder_service": (
        reminder_service,
        {"service_called", "timer_fired", "task_cancelled", "instance_completed"},
    ),
    "message_received": (message_received, {"message_received", "instance_completed"}),
    "message_sent": (message_sent, {"message_sent", "instance_completed"}),
    "message_started": (message_started, {"message_received", "instance_completed"}),
    "terminated": (terminated, {"instance_suspended", "instance_terminated"}),
    "skipped": (skipped, {"task_skipped", "instance_completed"}),
    "on_behalf": (on_behalf, {"task_sent_back"}),
}


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_replay_after_operations_agrees(ops, frozen_clock, name) -> None:
    scenario, kinds = SCENARIOS[name]
    instance_id = scenario(ops, frozen_clock)
    events = events_of(instance_id)
    assert kinds <= {event.kind for event in events}

    report = replay.replay(instance_id)

    assert report.ok, report.message
    assert report.events_checked == len(events)
    assert report.skipped_kinds == ()


def with_data(event: InstanceEvent, **changes: Any) -> None:
    event.data = {**event.data, **changes}


def vote_flipped(event: InstanceEvent) -> None:
    with_data(event, data={**event.data["data"], "approved": not event.data["data"]["approved"]})


# name -> (scenario, altered input (kind, spec, nth), alteration, first diverging (kind, spec)
# after it, or None when the altered input itself cannot be replayed)
TAMPERED: dict[str, tuple[str, tuple[str, str | None, int], Any, tuple[str, str] | None]] = {
    "send_back_then_vote": (
        "send_back_loops",
        ("task_completed", "review", -1),
        vote_flipped,
        ("gateway_passed", "decide"),
    ),
    "send_back_target": (
        "on_behalf",
        ("task_sent_back", "approve", 0),
        lambda e: with_data(e, target="draft"),
        ("task_created", "review"),
    ),
    "withdrawn_spec": (
        "withdraw",
        ("task_withdrawn", "draft", 0),
        lambda e: setattr(e, "task_spec", "review"),
        ("task_created", "draft"),
    ),
    "countersign_vote": (
        "countersign_any_rejects",
        ("task_completed", "countersign", 1),
        vote_flipped,
        ("task_cancelled", "countersign"),
    ),
    "timer_spec": (
        "reminder_timer",
        ("timer_fired", "remind", 0),
        lambda e: setattr(e, "task_spec", "draft"),
        None,
    ),
    "message_name": (
        "message_received",
        ("message_received", "await_reply", 0),
        lambda e: with_data(e, name="fawen_issued"),
        None,
    ),
    "skipped_spec": (
        "skipped",
        ("task_skipped", "await_reply", 0),
        lambda e: setattr(e, "task_spec", "read"),
        None,
    ),
}


@pytest.mark.parametrize("name", sorted(TAMPERED))
def test_a_rehashed_altered_input_after_an_operation_diverges(ops, frozen_clock, name) -> None:
    scenario, (kind, spec, nth), alter, diverging = TAMPERED[name]
    instance_id = SCENARIOS[scenario][0](ops, frozen_clock)
    events = events_of(instance_id)
    altered = [e for e in events if (e.kind, e.task_spec) == (kind, spec)][nth]
    alter(altered)
    db.session.commit()
    rehash_from(instance_id, altered.seq)
    assert history.verify_instance(instance_id).ok
    later = [e for e in events if e.seq > altered.seq and (e.kind, e.task_spec) == diverging]
    expected_seq = later[0].seq if diverging is not None else altered.seq

    report = replay.replay(instance_id)

    assert report.status == "diverged", report.message
    assert report.divergence is not None and report.divergence.seq == expected_seq
    assert f"第 {expected_seq} 条事件与重放结果不一致" in report.message


def test_replay_never_calls_a_service_again(ops, frozen_clock) -> None:
    instance_id = reminder_service(ops, frozen_clock)
    sent = db.session.scalars(select(Notification)).all()

    assert replay.replay(instance_id).ok
    assert db.session.scalars(select(Notification)).all() == sent


def test_a_service_result_cut_in_the_log_is_not_replayable(ops, frozen_clock) -> None:
    instance_id = reminder_service(ops, frozen_clock)
    called = next(e for e in events_of(instance_id) if e.kind == "service_called")
    with_data(called, result=called.data["result"][:-1])  # as a too-long result is cut
    db.session.commit()
    rehash_from(instance_id, called.seq)

    report = replay.replay(instance_id)

    assert report.status == "diverged"
    timer = next(e for e in events_of(instance_id) if e.kind == "timer_fired")
    assert report.divergence is not None and report.divergence.seq == timer.seq
    assert "结果未完整记录" in report.divergence.got


@pytest.mark.parametrize(
    ("scenario", "at", "key", "value"),
    [
        ("message_received", ("task_created", "read"), "reply", {"answer": "同意"}),
        ("countersign_two_of_three_seq", ("task_created", "after"), "votes", [True, False, True]),
        ("send_back_loops", ("task_created", "review"), "subject", f"{SUBJECT}（第2稿）"),
    ],
)
def test_data_as_of_an_event_after_an_operation(ops, frozen_clock, scenario, at, key, value):
    instance_id = SCENARIOS[scenario][0](ops, frozen_clock)
    matching = [e for e in events_of(instance_id) if (e.kind, e.task_spec) == at]
    # The second 审核 of the 退回 loop; the only one elsewhere.
    event = matching[1] if scenario == "send_back_loops" else matching[0]

    assert replay.data_as_of(instance_id, event.seq)[key] == value
