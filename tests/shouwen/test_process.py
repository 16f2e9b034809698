"""The 收文 process: 签收 -> 登记 (收文号) -> 初审 -> 拟办 -> 批示 (传阅) -> 主办 + 协办 -> 办结
-> 归档, 退文 at 初审, and the deadline reminder and escalation of 承办."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from engine import api
from engine.runtime.circulation_models import CirculationItem
from services.db import db
from services.errors import ValidationFailed
from services.gongwen import documents, exchange
from services.notify.models import Notification
from tests.shouwen.helpers import (
    deliver,
    departments,
    do,
    head,
    instruct_to_host,
    issue_to,
    leader,
    office_director,
    open_tasks,
    record_of,
    register_form,
    registrar,
    send,
    sign_and_register,
)

__all__ = ["deliver", "register_form", "sign_and_register"]  # older test modules import them here


def test_receipt_numbers_follow_each_other_per_unit_and_year(city) -> None:
    czj = city.units["czj"]
    for title in ("关于秋季开学的通知", "关于校园安全的通知"):
        send(city, issue_to(city, ["czj"], title=f"江城市教育局{title}"))
    api.deliver_messages(worker_id="w1")
    year = documents.beijing_today().year
    numbers = []
    for record in reversed(exchange.inbox(czj.id)):  # oldest first
        do(record.instance_id, registrar(czj), "签收", {"sign_action": "签收"})
        do(record.instance_id, registrar(czj), "登记", register_form(title=record.document.title))
        db.session.refresh(record)
        numbers.append(record.receipt_number)
        assert api.get_instance(record.instance_id).business_key == record.receipt_number
    assert numbers == [f"收办〔{year}〕1号", f"收办〔{year}〕2号"]  # 主送 通知: 收办


def test_full_handling_with_host_two_assisting_departments_and_reply(city) -> None:
    deliver(city, ["czj"])
    czj = city.units["czj"]
    instance_id = sign_and_register(czj)
    record = record_of(czj)
    assert (record.category, record.need_reply, record.deadline) == (
        "普发件",
        True,
        documents.beijing_today() + timedelta(days=5),
    )
    director, boss = office_director(czj), leader(czj)
    do(instance_id, director, "初审", {"review_accept": True})
    do(instance_id, director, "拟办", {"proposal": "建议由业务科室主办，另两个科室协办"})
    host, *others = departments(czj)
    assert len(others) >= 2
    readers = [registrar(czj).id, head(others[0]).id]
    instruction = {
        "instruction": "同意拟办意见，请抓紧落实",
        "host_department": host.id,
        "co_departments": [others[0].id, others[1].id],
        "readers": readers,
        "circulate_note": "请阅知",
    }
    do(instance_id, boss, "领导批示", instruction)
    # 主办 and both 协办 wait at the same time.
    waiting = sorted((t.name, t.assignee_id) for t in open_tasks(instance_id))
    assert waiting == sorted(
        [
            ("主办部门办理", head(host).id),
            ("协办部门办理", head(others[0]).id),
            ("协办部门办理", head(others[1]).id),
        ]
    )
    # 传阅 went out without blocking anything.
    items = db.session.scalars(
        select(CirculationItem).where(CirculationItem.instance_id == instance_id)
    )
    assert sorted(i.reader_id for i in items) == sorted(readers)
    do(instance_id, head(others[0]), "协办部门办理", {"co_feedback": "已配合提供数据"})
    do(instance_id, head(host), "主办部门办理", {"host_feedback": "已按要求布置落实"})
    assert [t.name for t in open_tasks(instance_id)] == ["协办部门办理"]
    do(instance_id, head(others[1]), "协办部门办理", {"co_feedback": "已转发所属单位"})
    assert [t.name for t in open_tasks(instance_id)] == ["办结"]
    reply = "我局已按通知要求完成部署"
    do(instance_id, director, "办结", {"result": "已落实", "reply": reply})
    status = exchange.recipient_statuses(record.source_document_id)[0]
    assert (status.status, status.reply) == ("已办结", reply)
    sender = city.user("clerk").id
    notes = db.session.scalars(select(Notification).where(Notification.user_id == sender))
    assert any(reply in n.body for n in notes)
    do(instance_id, registrar(czj), "归档", {"archive_confirm": True})
    db.session.refresh(record)
    assert record.archived_at is not None and record.document.status == "archived"
    assert api.get_instance(instance_id).status == "completed"
    assert api.verify_history(instance_id).ok
    report = api.replay_instance(instance_id)
    assert report.ok, (report.message, report.divergence)


def test_finish_without_assisting_departments(city) -> None:
    deliver(city, ["czj"])
    czj = city.units["czj"]
    instance_id = sign_and_register(czj, need_reply=False)
    host = instruct_to_host(instance_id, czj, "建议业务科室办理")
    assert [t.name for t in open_tasks(instance_id)] == ["主办部门办理"]
    do(instance_id, head(host), "主办部门办理", {"host_feedback": "已办理"})
    do(instance_id, office_director(czj), "办结", {"result": "已办理完毕"})
    assert record_of(czj).status == "已办结"


def test_review_returns_the_document_with_its_reason(city) -> None:
    deliver(city, ["czj"])
    czj = city.units["czj"]
    instance_id = sign_and_register(czj)
    reason = "来文缺少附件，请补齐后重新发送"
    do(
        instance_id,
        office_director(czj),
        "初审",
        {"review_accept": False, "review_return_reason": reason},
    )
    record = record_of(czj)
    assert (record.status, record.return_reason) == ("已退文", reason)
    assert record.returned_by_id == office_director(czj).id
    (status,) = exchange.recipient_statuses(record.source_document_id)
    assert (status.status, status.return_reason) == ("已退文", reason)
    assert api.get_instance(instance_id).status == "completed"


def test_return_needs_a_reason(city) -> None:
    deliver(city, ["czj"])
    czj = city.units["czj"]
    (task,) = open_tasks(record_of(czj).instance_id)
    with pytest.raises(ValidationFailed) as refused:
        api.complete_task(task.id, actor_id=registrar(czj).id, data={"sign_action": "退文"})
    db.session.rollback()
    assert "sign_return_reason" in (refused.value.errors or {})
    assert record_of(czj).status == "已送达"


def test_handling_is_reminded_before_and_escalated_at_the_deadline(city, frozen_clock) -> None:
    deliver(city, ["czj"])
    czj = city.units["czj"]
    today = documents.beijing_today()
    instance_id = sign_and_register(czj, deadline=(today + timedelta(days=3)).isoformat())
    host = instruct_to_host(instance_id, czj, "建议业务科室办理")
    director = office_director(czj)
    assert api.fire_due_timers(worker_id="t") == 0
    record = record_of(czj)
    assert not exchange.is_overdue(record)
    frozen_clock.advance(days=2, hours=23)  # past 18:00 the day before the deadline
    assert api.fire_due_timers(worker_id="t") == 1
    assert (head(host).id, "remind") in notes()
    frozen_clock.advance(days=1)
    assert api.fire_due_timers(worker_id="t") == 1
    escalated = {uid for uid, kind in notes() if kind == "escalate"}
    assert director.id in escalated and registrar(czj).id in escalated
    assert exchange.is_overdue(record, today + timedelta(days=4))
    assert [t.name for t in open_tasks(instance_id)] == ["主办部门办理"]  # still open


def notes() -> list[tuple[int, str]]:
    rows = db.session.scalars(select(Notification).order_by(Notification.id))
    return [(n.user_id, n.category) for n in rows]


def test_overdue_is_not_reported_once_finished(city) -> None:
    deliver(city, ["czj"])
    record = record_of(city.units["czj"])
    record.deadline = date(2020, 1, 1)
    assert exchange.is_overdue(record)
    record.status = "已办结"
    assert not exchange.is_overdue(record)
