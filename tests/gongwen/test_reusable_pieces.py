"""The reusable pieces of bpmn-models/: 归档 (gongwen_guidang) called by 发文 and 收文, 传阅
(gongwen_chuanyue) called by 收文, and the daily 催办 cycle on 收文 承办; instances that went
through them replay."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engine import api
from engine.runtime.circulation_models import CirculationItem
from engine.runtime.models import InstanceEvent
from services.archive.service import record_for_document
from services.db import db
from services.gongwen import documents
from services.notify.models import Notification
from tests.gongwen.fawen_helpers import City, act, draft_data, issue, load_city, review_and_sign
from tests.gongwen.fawen_helpers import start as start_fawen
from tests.shouwen.helpers import (
    departments,
    do,
    head,
    leader,
    office_director,
    open_tasks,
    record_of,
    registrar,
)
from tests.shouwen.test_process import deliver, sign_and_register


@pytest.fixture
def city(app) -> City:
    return load_city()


def services_called(instance_id: int) -> list[str]:
    rows = db.session.scalars(
        select(InstanceEvent)
        .where(InstanceEvent.instance_id == instance_id, InstanceEvent.kind == "service_called")
        .order_by(InstanceEvent.seq)
    )
    return [row.data["service"] for row in rows]


def test_fawen_is_archived_by_the_called_guidang_and_replays(city) -> None:
    instance_id = start_fawen(city)
    act(instance_id, city.user("clerk"), draft_data(city), "拟稿")
    review_and_sign(city, instance_id, principal=False)
    issue(city, instance_id)
    assert api.get_instance(instance_id).status == "completed"
    assert services_called(instance_id)[-2:] == ["gongwen.sheet", "archive.file"]
    document = documents.document_for_instance(instance_id)
    assert document is not None
    record = record_for_document(document.id)
    assert record is not None and record.archive_code.startswith("J021-WS·")
    # Every service result of a 发文 (the 办理期限 table included) is recorded whole: an auditor
    # can replay the flagship process end to end, subprocesses included.
    report = api.replay_instance(instance_id)
    assert report.ok, (report.message, report.divergence)


def handled_to_instruction(city: City, readers: list[int]) -> tuple[int, object]:
    deliver(city, ["czj"])
    czj = city.units["czj"]
    instance_id = sign_and_register(czj, need_reply=False)
    director = office_director(czj)
    do(instance_id, director, "初审", {"review_accept": True})
    do(instance_id, director, "拟办", {"proposal": "建议业务科室办理"})
    host = departments(czj)[0]
    instruction = {"instruction": "同意", "host_department": host.id, "readers": readers}
    do(instance_id, leader(czj), "领导批示", instruction | {"circulate_note": "请阅知"})
    return instance_id, host


def test_shouwen_circulates_and_archives_through_the_called_pieces_and_replays(city) -> None:
    czj = city.units["czj"]
    readers = [registrar(czj).id, office_director(czj).id]
    instance_id, host = handled_to_instruction(city, readers)
    # 传阅 sent the 待阅 items as the leader and ended: 承办 waits, nothing waits for readers.
    items = list(
        db.session.scalars(
            select(CirculationItem).where(CirculationItem.instance_id == instance_id)
        )
    )
    assert sorted(i.reader_id for i in items) == sorted(readers)
    assert [t.name for t in open_tasks(instance_id)] == ["主办部门办理"]
    do(instance_id, head(host), "主办部门办理", {"host_feedback": "已办理"})
    do(instance_id, office_director(czj), "办结", {"result": "已办理完毕"})
    # 归档 inside gongwen_guidang: the 收发员 confirms, then the record is archived.
    (task,) = open_tasks(instance_id)
    assert (task.name, task.assignee_id) == ("归档", registrar(czj).id)
    do(instance_id, registrar(czj), "归档", {"archive_confirm": True})
    record = record_of(czj)
    assert record.archived_at is not None
    assert api.get_instance(instance_id).status == "completed"
    called = services_called(instance_id)
    assert "shouwen.circulate" in called and called[-1] == "shouwen.archive"
    assert "archive.file" not in called
    report = api.replay_instance(instance_id)
    assert report.ok, (report.message, report.divergence)


def reminders(user_id: int) -> int:
    rows = db.session.scalars(
        select(Notification).where(
            Notification.user_id == user_id, Notification.category == "remind"
        )
    )
    return len(list(rows))


def test_overdue_handling_is_urged_every_day_until_done(city, frozen_clock) -> None:
    instance_id, host = handled_to_instruction(city, [])
    holder = head(host).id
    record = record_of(city.units["czj"])
    assert record.deadline is not None
    days_left = (record.deadline - documents.beijing_today()).days
    frozen_clock.advance(days=days_left + 1)  # past 催办 (day before) and 督办 (deadline)
    api.fire_due_timers(worker_id="t")
    before = reminders(holder)
    assert before >= 1
    for day in (1, 2):
        frozen_clock.advance(days=1)
        assert api.fire_due_timers(worker_id="t") == 1
        assert reminders(holder) == before + day
    assert [t.name for t in open_tasks(instance_id)] == ["主办部门办理"]  # still open
    do(instance_id, head(host), "主办部门办理", {"host_feedback": "已办理"})
    frozen_clock.advance(days=1)
    assert api.fire_due_timers(worker_id="t") == 0  # done: the cycle is cancelled
    assert reminders(holder) == before + 2
