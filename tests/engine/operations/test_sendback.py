"""退回 to any earlier completed user task, and the 1,000-loop bound."""

from __future__ import annotations

import statistics
import time

import pytest

from engine import api
from engine.definitions import repository
from engine.runtime.models import HumanTask, ProcessInstance
from services.db import db
from services.errors import Conflict, Forbidden, ValidationFailed
from tests.engine.operations.helpers import (
    SUBJECT,
    complete_current,
    kinds,
    only_active,
    start_chain,
    to_approve,
)
from tests.engine.runtime.helpers import BPMN_DIR as RUNTIME_BPMN
from tests.engine.runtime.helpers import active_rows


def test_returnable_targets_lists_earlier_user_tasks_with_their_actors(ops) -> None:
    view = start_chain(ops)
    approve = to_approve(ops, view)
    targets = api.returnable_targets(approve.id)
    assert [(t.task_spec, t.name, t.last_actor_id) for t in targets] == [
        ("draft", "拟稿", ops.starter.id),
        ("review", "审核", ops.reviewer.id),
    ]


def test_send_back_to_the_first_task_restores_its_assignee_and_form_data(ops) -> None:
    view = start_chain(ops)
    complete_current(view.id, ops.starter, {"subject": SUBJECT + "（初稿）"})
    complete_current(view.id, ops.reviewer, {"approved": True, "opinion": "同意"})
    approve = only_active(view.id)
    api.send_back(approve.id, actor_id=ops.approver.id, target_task_spec="draft", reason="依据不足")
    db.session.commit()
    draft = only_active(view.id)
    assert (draft.task_spec, draft.assignee_id) == ("draft", ops.starter.id)
    data = api.task_form_data(draft.id)
    assert data["subject"] == SUBJECT + "（初稿）" and data["opinion"] == "同意"
    assert db.session.get(HumanTask, approve.id).status == "returned"
    events = api.history(view.id)
    sent = next(e for e in events if e.kind == "task_sent_back")
    assert (sent.actor_id, sent.data["target"], sent.data["reason"]) == (
        ops.approver.id,
        "draft",
        "依据不足",
    )
    assert api.verify_history(view.id).ok


def test_send_back_restores_the_person_who_did_it_not_the_rule(ops) -> None:
    view = start_chain(ops)
    complete_current(view.id, ops.starter, {"subject": SUBJECT})
    review = only_active(view.id)
    api.reassign_task(review.id, actor_id=ops.reviewer.id, to_user_id=ops.helper.id, reason="出差")
    db.session.commit()
    complete_current(view.id, ops.helper, {"approved": True, "opinion": "同意"})
    approve = only_active(view.id)
    api.send_back(approve.id, actor_id=ops.approver.id, target_task_spec="review", reason="重审")
    db.session.commit()
    again = only_active(view.id)
    assert (again.task_spec, again.assignee_id) == ("review", ops.helper.id)
    # The process runs on normally from the restored task.
    complete_current(view.id, ops.helper, {"approved": True})
    complete_current(view.id, ops.approver, {"comment": "签发"})
    assert api.get_instance(view.id).status == "completed"


@pytest.mark.parametrize(
    ("who", "target", "reason", "error"),
    [
        ("outsider", "draft", "理由", Forbidden),
        ("approver", "approve", "理由", ValidationFailed),
        ("approver", "nowhere", "理由", ValidationFailed),
        ("approver", "draft", "  ", ValidationFailed),
    ],
)
def test_send_back_refusals(ops, who, target, reason, error) -> None:
    view = start_chain(ops)
    approve = to_approve(ops, view)
    revision = api.get_instance(view.id).revision
    with pytest.raises(error):
        api.send_back(
            approve.id, actor_id=getattr(ops, who).id, target_task_spec=target, reason=reason
        )
    db.session.rollback()
    assert api.get_instance(view.id).revision == revision
    assert only_active(view.id).id == approve.id


def test_send_back_to_a_task_not_yet_done_is_refused(ops) -> None:
    view = start_chain(ops)
    complete_current(view.id, ops.starter, {"subject": SUBJECT})
    review = only_active(view.id)
    with pytest.raises(ValidationFailed):
        api.send_back(review.id, actor_id=ops.reviewer.id, target_task_spec="approve", reason="x")
    assert [t.task_spec for t in api.returnable_targets(review.id)] == ["draft"]


def test_send_back_of_a_suspended_instance_is_refused(ops) -> None:
    view = start_chain(ops)
    approve = to_approve(ops, view)
    api.suspend_instance(view.id, admin_id=ops.admin.id, reason="核查")
    db.session.commit()
    with pytest.raises(Conflict):
        api.send_back(approve.id, actor_id=ops.approver.id, target_task_spec="draft", reason="x")


LOOPS = 1000
SAMPLE = 20


def test_a_thousand_send_back_loops_stay_bounded(ops, record_property) -> None:
    """Each loop: the drafter completes, the reviewer sends back. Cost and state size at
    loop 1,000 must stay close to loop 1 (Spiff alone fails near 245 loops, trap 7)."""
    view = start_chain(ops)
    timings, sizes = [], []
    for _ in range(LOOPS):
        started = time.perf_counter()
        complete_current(view.id, ops.starter, {"subject": SUBJECT})
        review = only_active(view.id)
        api.send_back(review.id, actor_id=ops.reviewer.id, target_task_spec="draft", reason="改")
        db.session.commit()
        timings.append(time.perf_counter() - started)
        sizes.append(len(api_state(view.id)))
    first = statistics.median(timings[:SAMPLE])
    last = statistics.median(timings[-SAMPLE:])
    record_property("loop_first_ms", round(first * 1000, 1))
    record_property("loop_last_ms", round(last * 1000, 1))
    print(
        f"\n退回 loop: first {first * 1000:.1f} ms, last {last * 1000:.1f} ms, "
        f"state {sizes[0]} -> {sizes[-1]} bytes"
    )
    assert sizes[-1] <= sizes[0] * 1.2
    assert last < first * 3
    assert only_active(view.id).task_spec == "draft"
    assert kinds(view.id).count("task_sent_back") == LOOPS


def api_state(instance_id: int) -> str:
    instance = db.session.get(ProcessInstance, instance_id)
    assert instance is not None
    return instance.state


def test_send_back_rearms_the_boundary_timer_of_the_target(ops, frozen_clock) -> None:
    view = api.start_instance(
        "ops_deadline",
        starter_id=ops.starter.id,
        data={"subject": SUBJECT, "reviewer": "li"},
    )
    db.session.commit()
    complete_current(view.id, ops.starter, {"subject": SUBJECT})
    review = only_active(view.id)
    api.send_back(review.id, actor_id=ops.reviewer.id, target_task_spec="draft", reason="重拟")
    db.session.commit()
    draft = only_active(view.id)
    assert draft.task_spec == "draft"
    frozen_clock.advance(minutes=3 * 24 * 60)
    assert api.fire_due_timers() == 1
    db.session.expire_all()
    assert api.get_instance(view.id).status == "completed"
    assert db.session.get(HumanTask, draft.id).status == "cancelled"


def test_send_back_from_a_parallel_branch_restarts_the_whole_split(ops) -> None:
    name = "runtime_countersign_loop.bpmn"
    repository.deploy({name: (RUNTIME_BPMN / name).read_bytes()}, deployed_by=None)
    view = api.start_instance("runtime_countersign_loop", starter_id=ops.starter.id)
    db.session.commit()
    complete_current(view.id, ops.starter, {})
    sign_a, sign_b = sorted(active_rows(view.id), key=lambda r: r.task_spec)
    api.send_back(sign_a.id, actor_id=ops.starter.id, target_task_spec="draft", reason="重拟")
    db.session.commit()
    assert only_active(view.id).task_spec == "draft"
    assert db.session.get(HumanTask, sign_b.id).status == "cancelled"
    complete_current(view.id, ops.starter, {})
    for row in active_rows(view.id):
        api.complete_task(row.id, actor_id=ops.starter.id, data={"ok": True})
        db.session.commit()
    assert api.get_instance(view.id).status == "completed"
