"""会签 completion rules on parallel and sequential multi-instance user tasks."""

from __future__ import annotations

import pytest

from engine import api
from services.db import db
from tests.engine.operations.helpers import deploy_countersign, rows_of
from tests.engine.runtime.helpers import active_rows

SIGNERS = ["li", "zhao", "qian"]

# rule, sequential, votes in signing order, how many signed, rows cancelled, collected votes
CASES = [
    ("all", False, [True, False, True], 3, 0, [True, False, True]),
    ("all", True, [True, False, True], 3, 0, [True, False, True]),
    ("any_rejects", False, [True, False], 2, 1, [True, False]),
    ("any_rejects", True, [True, False], 2, 0, [True, False]),
    ("two_of_three", False, [True, True], 2, 1, [True, True]),
    ("two_of_three", True, [True, False, True], 3, 0, [True, False, True]),
    ("two_of_three", True, [True, True], 2, 0, [True, True]),
]


def users(ops) -> dict[str, int]:
    return {"li": ops.reviewer.id, "zhao": ops.approver.id, "qian": ops.helper.id}


@pytest.mark.parametrize(("rule", "sequential", "votes", "signed", "cancelled", "collected"), CASES)
def test_completion_rule(ops, rule, sequential, votes, signed, cancelled, collected) -> None:
    key = deploy_countersign(rule, sequential)
    view = api.start_instance(key, starter_id=ops.starter.id, data={"signers": SIGNERS})
    db.session.commit()
    ids = users(ops)
    open_now = {r.assignee_id for r in active_rows(view.id)}
    assert open_now == ({ids["li"]} if sequential else set(ids.values()))
    for username, vote in zip(SIGNERS, votes, strict=False):
        row = next(r for r in active_rows(view.id) if r.assignee_id == ids[username])
        api.complete_task(row.id, actor_id=ids[username], data={"approved": vote})
        db.session.commit()
    rows = [r for r in rows_of(view.id) if r.task_spec == "countersign"]
    assert sum(r.status == "completed" for r in rows) == signed
    assert sum(r.status == "cancelled" for r in rows) == cancelled
    (after,) = active_rows(view.id)
    assert after.task_spec == "after"
    assert api.task_form_data(after.id)["votes"] == collected
