"""加签 before and after the holder, as inbox rows that gate the task's completion."""

from __future__ import annotations

import pytest

from engine import api
from engine.runtime.models import HumanTask
from services.db import db
from services.errors import Conflict, Forbidden, ValidationFailed
from tests.engine.operations.helpers import (
    SUBJECT,
    complete_current,
    kinds,
    only_active,
    rows_of,
    start_chain,
)
from tests.engine.runtime.helpers import active_rows


def at_review(ops):
    view = start_chain(ops)
    complete_current(view.id, ops.starter, {"subject": SUBJECT})
    return view, only_active(view.id)


def test_signer_before_acts_first_then_the_holder(ops) -> None:
    view, review = at_review(ops)
    signer = api.add_signer(
        review.id,
        actor_id=ops.reviewer.id,
        user_id=ops.helper.id,
        position="before",
        reason="请财务把关",
    )
    db.session.commit()
    assert [(t.id, t.kind) for t in api.inbox(ops.helper.id).items] == [(signer.id, "addsign")]
    with pytest.raises(Conflict, match="加签人"):
        api.complete_task(review.id, actor_id=ops.reviewer.id, data={"approved": True})
    db.session.rollback()
    api.complete_task(signer.id, actor_id=ops.helper.id, data={"comment": "经费可行"})
    db.session.commit()
    assert [r.id for r in active_rows(view.id)] == [review.id]
    api.complete_task(review.id, actor_id=ops.reviewer.id, data={"approved": True})
    db.session.commit()
    assert only_active(view.id).task_spec == "approve"
    assert [k for k in kinds(view.id) if k.startswith("addsign")] == [
        "addsign_added",
        "addsign_completed",
    ]


def test_signer_after_acts_before_the_process_moves_on(ops) -> None:
    view, review = at_review(ops)
    signer = api.add_signer(
        review.id,
        actor_id=ops.reviewer.id,
        user_id=ops.helper.id,
        position="after",
        reason="请分管领导复核",
    )
    db.session.commit()
    assert signer.status == "waiting" and api.inbox(ops.helper.id).items == []
    api.complete_task(
        review.id, actor_id=ops.reviewer.id, data={"approved": True, "opinion": "同意"}
    )
    db.session.commit()
    assert [r.id for r in active_rows(view.id)] == [signer.id]
    assert db.session.get(HumanTask, review.id).completed_by_id == ops.reviewer.id
    api.complete_task(signer.id, actor_id=ops.helper.id, data={"comment": "复核同意"})
    db.session.commit()
    approve = only_active(view.id)
    assert approve.task_spec == "approve"
    data = api.task_form_data(approve.id)
    assert (data["opinion"], data["comment"]) == ("同意", "复核同意")
    done = {r.id: (r.status, r.completed_by_id) for r in rows_of(view.id)}
    assert done[signer.id] == ("completed", ops.helper.id)


def test_terminate_cancels_waiting_signers(ops) -> None:
    view, review = at_review(ops)
    signer = api.add_signer(
        review.id, actor_id=ops.reviewer.id, user_id=ops.helper.id, position="after", reason="复核"
    )
    api.terminate_instance(view.id, admin_id=ops.admin.id, reason="撤销")
    db.session.commit()
    assert db.session.get(HumanTask, signer.id).status == "cancelled"


@pytest.mark.parametrize(
    ("who", "user", "position", "reason", "error"),
    [
        ("outsider", "helper", "before", "理由", Forbidden),
        ("reviewer", "reviewer", "before", "理由", ValidationFailed),
        ("reviewer", "helper", "sideways", "理由", ValidationFailed),
        ("reviewer", "helper", "after", "", ValidationFailed),
    ],
)
def test_add_signer_refusals(ops, who, user, position, reason, error) -> None:
    _, review = at_review(ops)
    with pytest.raises(error):
        api.add_signer(
            review.id,
            actor_id=getattr(ops, who).id,
            user_id=getattr(ops, user).id,
            position=position,
            reason=reason,
        )


def test_the_same_signer_twice_and_signers_adding_signers_are_refused(ops) -> None:
    _, review = at_review(ops)
    signer = api.add_signer(
        review.id, actor_id=ops.reviewer.id, user_id=ops.helper.id, reason="把关"
    )
    db.session.commit()
    with pytest.raises(Conflict):
        api.add_signer(review.id, actor_id=ops.reviewer.id, user_id=ops.helper.id, reason="再加")
    with pytest.raises(Forbidden):
        api.add_signer(signer.id, actor_id=ops.helper.id, user_id=ops.outsider.id, reason="转加")
