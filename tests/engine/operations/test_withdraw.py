"""取回: the previous actor takes a completed task back while the next has not been acted on."""

from __future__ import annotations

import pytest

from engine import api
from engine.definitions import repository
from engine.runtime.models import HumanTask
from services.db import db
from services.errors import Conflict, Forbidden
from tests.engine.operations.helpers import (
    SUBJECT,
    complete_current,
    kinds,
    only_active,
    start_chain,
)
from tests.engine.runtime.helpers import BPMN_DIR, active_rows


def test_withdraw_brings_the_task_back_with_the_actors_data(ops) -> None:
    view = start_chain(ops)
    draft = complete_current(view.id, ops.starter, {"subject": SUBJECT + "（误发）"})
    review = only_active(view.id)
    api.withdraw_task(draft.id, actor_id=ops.starter.id)
    db.session.commit()
    again = only_active(view.id)
    assert (again.task_spec, again.assignee_id) == ("draft", ops.starter.id)
    assert api.task_form_data(again.id)["subject"] == SUBJECT + "（误发）"
    assert db.session.get(HumanTask, review.id).status == "cancelled"
    assert "task_withdrawn" in kinds(view.id)
    # The withdrawn task is completed again and the process goes on.
    complete_current(view.id, ops.starter, {"subject": SUBJECT})
    assert only_active(view.id).task_spec == "review"


def test_withdraw_after_the_next_task_was_completed_is_a_conflict(ops) -> None:
    view = start_chain(ops)
    draft = complete_current(view.id, ops.starter, {"subject": SUBJECT})
    complete_current(view.id, ops.reviewer, {"approved": True})
    with pytest.raises(Conflict, match="下一环节已办理，无法取回"):
        api.withdraw_task(draft.id, actor_id=ops.starter.id)


def test_withdraw_after_the_next_task_was_claimed_is_a_conflict(ops) -> None:
    view = start_chain(ops, reviewer=["li", "qian"])
    draft = complete_current(view.id, ops.starter, {"subject": SUBJECT})
    review = only_active(view.id)
    assert review.assignee_id is None
    api.claim_task(review.id, ops.helper.id)
    db.session.commit()
    with pytest.raises(Conflict, match="下一环节已办理，无法取回"):
        api.withdraw_task(draft.id, actor_id=ops.starter.id)
    db.session.rollback()
    assert only_active(view.id).assignee_id == ops.helper.id


@pytest.mark.parametrize("who", ["reviewer", "outsider"])
def test_only_the_person_who_completed_may_withdraw(ops, who) -> None:
    view = start_chain(ops)
    draft = complete_current(view.id, ops.starter, {"subject": SUBJECT})
    with pytest.raises(Forbidden):
        api.withdraw_task(draft.id, actor_id=getattr(ops, who).id)


def test_an_open_task_cannot_be_withdrawn(ops) -> None:
    view = start_chain(ops)
    draft = only_active(view.id)
    with pytest.raises(Forbidden):
        api.withdraw_task(draft.id, actor_id=ops.starter.id)


def test_withdraw_inside_parallel_branches_is_refused(ops) -> None:
    name = "runtime_countersign_loop.bpmn"
    repository.deploy({name: (BPMN_DIR / name).read_bytes()}, deployed_by=None)
    view = api.start_instance("runtime_countersign_loop", starter_id=ops.starter.id)
    db.session.commit()
    complete_current(view.id, ops.starter, {})
    sign_a = next(r for r in active_rows(view.id) if r.task_spec == "sign_a")
    api.complete_task(sign_a.id, actor_id=ops.starter.id, data={})
    db.session.commit()
    with pytest.raises(Conflict, match="并行"):
        api.withdraw_task(sign_a.id, actor_id=ops.starter.id)
    db.session.rollback()
    assert [r.task_spec for r in active_rows(view.id)] == ["sign_b"]
