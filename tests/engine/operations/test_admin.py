"""转办, suspend/resume/terminate and 疏通: who may, what changes, what history records."""

from __future__ import annotations

import pytest

from engine import api
from engine.runtime.models import HumanTask
from services.db import db
from services.errors import Conflict, Forbidden, ValidationFailed
from tests.engine.operations.helpers import (
    SUBJECT,
    active_rows,
    complete_current,
    kinds,
    only_active,
    rows_of,
    start_chain,
)


@pytest.mark.parametrize("by", ["reviewer", "admin"])
def test_reassign_moves_the_row_and_records_the_reason(ops, by) -> None:
    view = start_chain(ops)
    complete_current(view.id, ops.starter, {"subject": SUBJECT})
    review = only_active(view.id)
    task = api.reassign_task(
        review.id, actor_id=getattr(ops, by).id, to_user_id=ops.helper.id, reason="休假"
    )
    db.session.commit()
    assert task.assignee_id == ops.helper.id
    todo = api.inbox(ops.helper.id)
    assert [t.id for t in todo.items] == [review.id]
    assert api.inbox(ops.reviewer.id).items == []
    event = api.history(view.id)[-1]
    assert (event.kind, event.actor_id) == ("task_reassigned", getattr(ops, by).id)
    assert event.data["from_user_id"] == ops.reviewer.id and event.data["reason"] == "休假"
    # The new holder completes; the old one no longer may.
    with pytest.raises(Forbidden):
        api.complete_task(review.id, actor_id=ops.reviewer.id, data={"approved": True})
    complete_current(view.id, ops.helper, {"approved": True})
    assert only_active(view.id).task_spec == "approve"


@pytest.mark.parametrize(
    ("who", "to", "reason", "error"),
    [
        ("outsider", "helper", "理由", Forbidden),
        ("reviewer", "reviewer", "理由", ValidationFailed),
        ("reviewer", "helper", "", ValidationFailed),
    ],
)
def test_reassign_refusals(ops, who, to, reason, error) -> None:
    view = start_chain(ops)
    complete_current(view.id, ops.starter, {"subject": SUBJECT})
    review = only_active(view.id)
    with pytest.raises(error):
        api.reassign_task(
            review.id, actor_id=getattr(ops, who).id, to_user_id=getattr(ops, to).id, reason=reason
        )
    db.session.rollback()
    assert only_active(view.id).assignee_id == ops.reviewer.id


def test_reassign_of_a_completed_task_is_a_conflict(ops) -> None:
    view = start_chain(ops)
    draft = complete_current(view.id, ops.starter, {"subject": SUBJECT})
    with pytest.raises(Conflict):
        api.reassign_task(draft.id, actor_id=ops.starter.id, to_user_id=ops.helper.id, reason="x")


def test_suspended_instance_refuses_completion_until_resumed(ops) -> None:
    view = start_chain(ops)
    draft = only_active(view.id)
    assert api.suspend_instance(view.id, admin_id=ops.admin.id, reason="待核实").status == (
        "suspended"
    )
    db.session.commit()
    with pytest.raises(Conflict, match="挂起"):
        api.complete_task(draft.id, actor_id=ops.starter.id, data={"subject": SUBJECT})
    db.session.rollback()
    api.resume_instance(view.id, admin_id=ops.admin.id, reason="核实完毕")
    db.session.commit()
    complete_current(view.id, ops.starter, {"subject": SUBJECT})
    assert only_active(view.id).task_spec == "review"
    assert {"instance_suspended", "instance_resumed"} <= set(kinds(view.id))


@pytest.mark.parametrize(
    ("operation", "who", "error"),
    [
        ("suspend_instance", "starter", Forbidden),
        ("resume_instance", "admin", Conflict),
        ("terminate_instance", "reviewer", Forbidden),
    ],
)
def test_admin_operation_refusals(ops, operation, who, error) -> None:
    view = start_chain(ops)
    with pytest.raises(error):
        getattr(api, operation)(view.id, admin_id=getattr(ops, who).id, reason="理由")
    db.session.rollback()
    assert api.get_instance(view.id).status == "running"


def test_admin_operations_need_a_reason(ops) -> None:
    view = start_chain(ops)
    with pytest.raises(ValidationFailed):
        api.suspend_instance(view.id, admin_id=ops.admin.id, reason=" ")


def test_terminate_cancels_open_rows_and_refuses_twice(ops) -> None:
    view = start_chain(ops)
    draft = only_active(view.id)
    ended = api.terminate_instance(view.id, admin_id=ops.admin.id, reason="撤销发文")
    db.session.commit()
    assert ended.status == "terminated" and ended.ended_at is not None
    assert active_rows(view.id) == []
    assert db.session.get(HumanTask, draft.id).status == "cancelled"
    with pytest.raises(Conflict):
        api.terminate_instance(view.id, admin_id=ops.admin.id, reason="再次")
    with pytest.raises(Conflict):
        api.complete_task(draft.id, actor_id=ops.starter.id, data={"subject": SUBJECT})
    assert kinds(view.id)[-1] == "instance_terminated"


def test_unblock_completes_a_stuck_task_on_behalf_of_its_holder(ops) -> None:
    view = start_chain(ops)
    complete_current(view.id, ops.starter, {"subject": SUBJECT})
    review = only_active(view.id)
    api.unblock_instance(
        view.id,
        admin_id=ops.admin.id,
        reason="审核人长期病休",
        task_id=review.id,
        data={"approved": True, "opinion": "代为审核"},
    )
    db.session.commit()
    done = db.session.get(HumanTask, review.id)
    assert (done.status, done.completed_by_id) == ("completed", ops.admin.id)
    assert only_active(view.id).task_spec == "approve"
    event = next(e for e in api.history(view.id) if e.data.get("unblock_reason"))
    assert (event.kind, event.actor_id, event.data["on_behalf_of"]) == (
        "task_completed",
        ops.admin.id,
        ops.reviewer.id,
    )
    # 退回 to the unblocked task goes back to the person it was meant for.
    approve = only_active(view.id)
    api.send_back(approve.id, actor_id=ops.approver.id, target_task_spec="review", reason="复核")
    db.session.commit()
    assert only_active(view.id).assignee_id == ops.reviewer.id


def test_unblock_skips_a_wait_that_will_never_end(ops) -> None:
    view = api.start_instance("ops_stuck", starter_id=ops.starter.id, data={"doc_id": 7})
    db.session.commit()
    assert active_rows(view.id) == []
    api.unblock_instance(
        view.id, admin_id=ops.admin.id, reason="对方单位已撤销", skip_task_spec="await_reply"
    )
    db.session.commit()
    assert only_active(view.id).task_spec == "read"
    skipped = next(e for e in api.history(view.id) if e.kind == "task_skipped")
    assert (skipped.task_spec, skipped.data["reason"]) == ("await_reply", "对方单位已撤销")


@pytest.mark.parametrize(
    ("who", "kwargs", "error"),
    [
        ("reviewer", {"skip_task_spec": "await_reply"}, Forbidden),
        ("admin", {}, ValidationFailed),
        ("admin", {"skip_task_spec": "read"}, ValidationFailed),
        ("admin", {"skip_task_spec": "await_reply", "task_id": 1}, ValidationFailed),
    ],
)
def test_unblock_refusals(ops, who, kwargs, error) -> None:
    view = api.start_instance("ops_stuck", starter_id=ops.starter.id, data={"doc_id": 8})
    db.session.commit()
    with pytest.raises(error):
        api.unblock_instance(view.id, admin_id=getattr(ops, who).id, reason="理由", **kwargs)
    db.session.rollback()
    assert [r.status for r in rows_of(view.id)] == []
