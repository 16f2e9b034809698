"""催办 by hand: who may urge, the notification to the holder, the history event and the limit
of one urge per task per hour."""

from __future__ import annotations

import pytest

from engine import api
from services.db import db
from services.errors import Conflict, Forbidden
from services.notify.inapp import latest
from tests.engine.operations.helpers import complete_current, kinds, only_active, start_chain


def _at_review(bureau):
    view = start_chain(bureau)
    complete_current(view.id, bureau.starter, {"subject": "s"})
    return view, only_active(view.id)


@pytest.mark.parametrize("who", ["starter", "office_clerk"])
def test_starter_and_unit_office_urge_the_holder(bureau, who):
    view, row = _at_review(bureau)
    notified = api.urge_task(row.id, actor_id=getattr(bureau, who).id, message="今天下班前")
    db.session.commit()
    assert notified == [bureau.reviewer.id]
    [note] = latest(bureau.reviewer.id)
    assert note.title.startswith("催办：审核") and note.body == "今天下班前"
    assert kinds(view.id)[-1] == "task_urged"
    assert api.history(view.id)[-1].data["task_id"] == row.id


def test_predecessor_may_urge(bureau):
    view, _ = _at_review(bureau)
    complete_current(view.id, bureau.reviewer, {"approved": True, "opinion": "同意"})
    approve = only_active(view.id)
    assert api.urge_task(approve.id, actor_id=bureau.reviewer.id) == [bureau.approver.id]
    assert approve.id in api.urgeable_tasks(view.id, bureau.reviewer.id)


@pytest.mark.parametrize("who", ["outsider", "reader", "reviewer"])
def test_others_and_the_holder_cannot_urge(bureau, who):
    _, row = _at_review(bureau)
    with pytest.raises(Forbidden):
        api.urge_task(row.id, actor_id=getattr(bureau, who).id)


def test_once_per_task_per_hour(bureau, frozen_clock):
    _, row = _at_review(bureau)
    api.urge_task(row.id, actor_id=bureau.starter.id)
    db.session.commit()
    frozen_clock.advance(minutes=20)
    with pytest.raises(Conflict) as raised:
        api.urge_task(row.id, actor_id=bureau.office_clerk.id)
    assert "40 分钟后再催办" in raised.value.message
    db.session.rollback()
    frozen_clock.advance(minutes=41)
    assert api.urge_task(row.id, actor_id=bureau.starter.id) == [bureau.reviewer.id]


def test_finished_task_cannot_be_urged(bureau):
    view, row = _at_review(bureau)
    complete_current(view.id, bureau.reviewer, {"approved": True, "opinion": "同意"})
    with pytest.raises(Conflict):
        api.urge_task(row.id, actor_id=bureau.starter.id)


def test_replay_ignores_urges(bureau):
    view, row = _at_review(bureau)
    api.urge_task(row.id, actor_id=bureau.starter.id)
    db.session.commit()
    report = api.replay_instance(view.id)
    assert report.ok
    assert report.skipped_kinds == ()
