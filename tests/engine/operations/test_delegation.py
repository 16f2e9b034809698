"""委托: while a rule is active, new tasks for the delegator go to the delegate, both see them."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine import api
from services.db import db
from services.errors import Conflict, Forbidden, ValidationFailed
from tests.engine.operations.helpers import SUBJECT, complete_current, only_active, start_chain


def delegate_reviewer(ops, clock, *, days: int = 3, keys: list[str] | None = None) -> int:
    rule = api.delegate(
        ops.reviewer.id,
        ops.helper.id,
        starts_at=clock.current,
        ends_at=clock.current + timedelta(days=days),
        process_keys=keys,
        reason="外出学习",
    )
    db.session.commit()
    return rule


def test_active_rule_sends_new_tasks_to_the_delegate_and_both_see_them(ops, frozen_clock) -> None:
    delegate_reviewer(ops, frozen_clock)
    view = start_chain(ops)
    complete_current(view.id, ops.starter, {"subject": SUBJECT})
    review = only_active(view.id)
    assert (review.assignee_id, review.delegated_from_id) == (ops.helper.id, ops.reviewer.id)
    (listed,) = api.inbox(ops.helper.id).items
    assert (listed.id, listed.delegated_from_id) == (review.id, ops.reviewer.id)
    assert [t.id for t in api.delegated_tasks(ops.reviewer.id)] == [review.id]
    created = [e for e in api.history(view.id) if e.kind == "task_created"][-1]
    assert created.data["delegated_from"] == ops.reviewer.id
    complete_current(view.id, ops.helper, {"approved": True})
    assert api.delegated_tasks(ops.reviewer.id) == []


@pytest.mark.parametrize(
    ("advance_days", "keys", "delegated"),
    [
        (0, None, True),
        (0, ["ops_chain"], True),
        (0, ["fawen"], False),
        (4, None, False),
    ],
)
def test_rule_applies_only_in_its_period_and_processes(
    ops, frozen_clock, advance_days, keys, delegated
) -> None:
    delegate_reviewer(ops, frozen_clock, keys=keys)
    frozen_clock.advance(minutes=advance_days * 24 * 60)
    view = start_chain(ops)
    complete_current(view.id, ops.starter, {"subject": SUBJECT})
    expected = ops.helper.id if delegated else ops.reviewer.id
    assert only_active(view.id).assignee_id == expected


def test_revoked_rule_no_longer_applies_and_only_its_owner_may_revoke(ops, frozen_clock) -> None:
    rule = delegate_reviewer(ops, frozen_clock)
    with pytest.raises(Forbidden):
        api.revoke_delegation(rule, actor_id=ops.helper.id)
    api.revoke_delegation(rule, actor_id=ops.reviewer.id)
    db.session.commit()
    view = start_chain(ops)
    complete_current(view.id, ops.starter, {"subject": SUBJECT})
    assert only_active(view.id).assignee_id == ops.reviewer.id


@pytest.mark.parametrize(
    ("to", "days", "error"),
    [("reviewer", 3, ValidationFailed), ("helper", 0, ValidationFailed)],
)
def test_invalid_rules_are_refused(ops, frozen_clock, to, days, error) -> None:
    with pytest.raises(error):
        api.delegate(
            ops.reviewer.id,
            getattr(ops, to).id,
            starts_at=frozen_clock.current,
            ends_at=frozen_clock.current + timedelta(days=days),
        )


def test_overlapping_rules_are_a_conflict(ops, frozen_clock) -> None:
    delegate_reviewer(ops, frozen_clock)
    with pytest.raises(Conflict):
        api.delegate(
            ops.reviewer.id,
            ops.outsider.id,
            starts_at=frozen_clock.current + timedelta(days=1),
            ends_at=frozen_clock.current + timedelta(days=5),
        )
