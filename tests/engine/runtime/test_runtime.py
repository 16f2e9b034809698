"""Start and complete through the engine API: inbox rows, permissions, forms, history."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from sqlalchemy import select

from engine import api
from engine.errors import EngineError
from engine.runtime import persistence, step
from engine.runtime.models import HumanTask, InstanceEvent, ProcessInstance
from services.db import db
from services.errors import Conflict, Forbidden, ValidationFailed
from tests.engine.runtime.helpers import SUBJECT, active_rows, deploy_approval, start_approval


@pytest.fixture
def approval(people):
    deploy_approval()
    return people


def only_active(instance_id: int) -> HumanTask:
    (row,) = active_rows(instance_id)
    return row


def test_start_creates_the_first_inbox_row_for_the_starter(approval, frozen_clock) -> None:
    view = start_approval(approval, business_key="市府办〔2025〕1号")
    row = only_active(view.id)
    assert view.status == "running" and view.revision == 1
    assert (row.task_spec, row.name, row.form_key) == ("draft", "拟稿", "runtime_test_draft")
    assert row.assignee_id == approval.starter.id
    assert row.status == "open" and row.priority == 1
    assert row.due_at == frozen_clock.current + timedelta(days=1)
    assert (row.title, row.business_key) == (SUBJECT, "市府办〔2025〕1号")
    kinds = [e.kind for e in api.history(view.id)]
    assert kinds == ["instance_started", "task_created"]


def test_whole_process_with_one_reject_loop(approval) -> None:
    people = approval
    view = start_approval(people)
    steps = [
        (people.starter, "draft", {"subject": SUBJECT}),
        (people.reviewer, "review", {"approved": False, "opinion": "请补充依据"}),
        (people.starter, "draft", {"subject": SUBJECT + "（修改）"}),
        (people.reviewer, "review", {"approved": True, "opinion": "同意"}),
    ]
    for actor, spec, data in steps:
        row = only_active(view.id)
        assert (row.task_spec, row.assignee_id) == (spec, actor.id)
        view = api.complete_task(row.id, actor_id=actor.id, data=data)
        done = db.session.get(HumanTask, row.id)
        assert (done.status, done.completed_by_id, done.active) == ("completed", actor.id, False)

    assert view.status == "completed" and view.ended_at is not None
    assert active_rows(view.id) == []
    # The review task's title property is an expression over the data at that point.
    review_titles = db.session.scalars(
        select(HumanTask.title).where(HumanTask.task_spec == "review").order_by(HumanTask.id)
    ).all()
    assert review_titles == ["审核：" + SUBJECT, "审核：" + SUBJECT + "（修改）"]
    events = api.history(view.id)
    gateways = [e.data["next"] for e in events if e.kind == "gateway_passed"]
    assert gateways == [["拟稿"], ["登记"]]
    assert [e.task_name for e in events if e.kind == "script_run"] == ["登记"]
    completed = [e for e in events if e.kind == "task_completed"]
    assert [e.actor_id for e in completed] == [a.id for a, _s, _d in steps]
    assert completed[1].data["data"] == {"approved": False, "opinion": "请补充依据"}
    assert events[-1].kind == "instance_completed"
    assert api.verify_history(view.id).ok


@pytest.mark.parametrize("who", ["reviewer", "outsider"])
def test_only_the_assignee_may_complete(approval, who: str) -> None:
    view = start_approval(approval)
    row = only_active(view.id)
    before = db.session.get(ProcessInstance, view.id).state
    with pytest.raises(Forbidden, match="办理人"):
        api.complete_task(row.id, actor_id=getattr(approval, who).id, data={"subject": SUBJECT})
    db.session.rollback()
    assert db.session.get(ProcessInstance, view.id).state == before
    assert only_active(view.id).id == row.id


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({}, "subject"),
        ({"subject": 12}, "subject"),
        ({"subject": "长" * 81}, "subject"),
    ],
    ids=["missing", "wrong-type", "too-long"],
)
def test_form_validation_refusal_keeps_state_untouched(approval, data, field) -> None:
    view = start_approval(approval)
    row = only_active(view.id)
    instance = db.session.get(ProcessInstance, view.id)
    state, revision = instance.state, instance.revision
    with pytest.raises(ValidationFailed) as refused:
        api.complete_task(row.id, actor_id=approval.starter.id, data=data)
    assert field in refused.value.errors
    db.session.rollback()
    instance = db.session.get(ProcessInstance, view.id)
    assert (instance.state, instance.revision) == (state, revision)
    assert db.session.scalars(select(InstanceEvent.kind)).all() == [
        "instance_started",
        "task_created",
    ]


def test_unresolvable_assignee_is_an_engine_error_and_nothing_changes(approval) -> None:
    view = start_approval(approval, reviewer="nobody")
    row = only_active(view.id)
    with pytest.raises(EngineError, match="审核") as failed:
        api.complete_task(row.id, actor_id=approval.starter.id, data={"subject": SUBJECT})
    assert "nobody" in failed.value.message
    assert failed.value.context["instance_id"] == view.id
    db.session.rollback()
    assert only_active(view.id).id == row.id
    assert api.get_instance(view.id).revision == 1


def test_stale_revision_is_a_conflict(approval) -> None:
    view = start_approval(approval)
    row = only_active(view.id)
    with pytest.raises(Conflict, match="已被他人处理"):
        api.complete_task(
            row.id, actor_id=approval.starter.id, data={"subject": SUBJECT}, expected_revision=0
        )


def test_completed_task_cannot_be_completed_again(approval) -> None:
    view = start_approval(approval)
    row = only_active(view.id)
    api.complete_task(row.id, actor_id=approval.starter.id, data={"subject": SUBJECT})
    db.session.commit()
    with pytest.raises(Conflict, match="已被他人处理"):
        api.complete_task(row.id, actor_id=approval.starter.id, data={"subject": SUBJECT})


def test_group_task_must_be_claimed_by_one_candidate(approval) -> None:
    people = approval
    view = start_approval(people, reviewer=["li", "wang"])
    draft = only_active(view.id)
    api.complete_task(draft.id, actor_id=people.starter.id, data={"subject": SUBJECT})
    db.session.commit()
    review = only_active(view.id)
    assert review.assignee_id is None
    for user in (people.reviewer, people.outsider):
        assert [
            t.id for t in api.inbox(user.id, filters=api.InboxFilters(box="claimable")).items
        ] == [review.id]
    with pytest.raises(Forbidden, match="签收"):
        api.complete_task(review.id, actor_id=people.reviewer.id, data={"approved": True})
    with pytest.raises(Forbidden, match="候选"):
        api.claim_task(review.id, people.starter.id)

    claimed = api.claim_task(review.id, people.reviewer.id)
    db.session.commit()
    assert (claimed.status, claimed.assignee_id) == ("claimed", people.reviewer.id)
    with pytest.raises(Conflict, match="签收"):
        api.claim_task(review.id, people.outsider.id)
    assert api.inbox(people.outsider.id, filters=api.InboxFilters(box="claimable")).total == 0
    assert [t.id for t in api.inbox(people.reviewer.id).items] == [review.id]
    view = api.complete_task(review.id, actor_id=people.reviewer.id, data={"approved": True})
    assert view.status == "completed"


def test_stored_state_is_utf8_without_spec(approval) -> None:
    view = start_approval(approval)
    state = db.session.get(ProcessInstance, view.id).state
    assert "spec" not in json.loads(state)
    assert SUBJECT in state and "\\u" not in state


def test_old_format_row_upgrades_on_load(approval) -> None:
    view = start_approval(approval)
    instance = db.session.get(ProcessInstance, view.id)
    workflow = step.load(instance).workflow
    stock = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))
    instance.state, instance.state_format = stock.serialize_json(workflow), 1
    db.session.commit()

    row = only_active(view.id)
    api.complete_task(row.id, actor_id=approval.starter.id, data={"subject": SUBJECT})
    db.session.commit()
    instance = db.session.get(ProcessInstance, view.id)
    assert instance.state_format == persistence.STATE_FORMAT
    assert "spec" not in json.loads(instance.state)
    assert only_active(view.id).task_spec == "review"


def test_reject_loops_keep_the_stored_state_small(approval) -> None:
    people = approval
    view = start_approval(people)
    sizes = []
    for _ in range(25):
        row = only_active(view.id)
        api.complete_task(row.id, actor_id=people.starter.id, data={"subject": SUBJECT})
        db.session.commit()
        row = only_active(view.id)
        api.complete_task(row.id, actor_id=people.reviewer.id, data={"approved": False})
        db.session.commit()
        sizes.append(len(db.session.get(ProcessInstance, view.id).state.encode("utf-8")))
    assert max(sizes) - min(sizes) < 100
    assert api.verify_history(view.id).ok
