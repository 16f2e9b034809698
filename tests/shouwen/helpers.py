"""Driving the 收文 process: an issued 发文 of 市教育局 delivered to other units of the demo
city."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from engine import api
from engine.gongwen_services import RECEIVED_MESSAGE, _received_payload
from engine.runtime.models import HumanTask, ProcessInstance
from services import clock
from services.db import db
from services.gongwen import documents, exchange
from services.gongwen.distribution_models import DELIVERED, Distribution
from services.gongwen.exchange_models import IncomingRecord
from services.gongwen.models import DocumentFile, GongwenDocument
from services.org import directory
from services.org.models import Department, Unit, User
from tests.gongwen.fawen_helpers import City

SEALED = b"%PDF-1.7 sealed copy for the tests"


@dataclass
class Issued:
    """A 发文 of 市教育局 already 分发 to ``units`` (one Distribution row each)."""

    document: GongwenDocument
    rows: list[Distribution]


def issue_to(
    city: City, codes: list[str], title: str = "江城市教育局关于做好秋季开学工作的通知"
) -> Issued:
    """An issued 通知 with a sealed PDF, 分发 to the units ``codes`` (nothing sent yet)."""
    clerk = city.user("clerk")
    units = [city.units[code] for code in codes]
    document = documents.create_document(
        direction="out",
        unit_id=city.unit.id,
        doc_type="通知",
        title=title,
        drafter_id=clerk.id,
        main_recipients=[{"unit_id": u.id, "name": u.name} for u in units],
        urgency="urgent",
        copies=3,
    )
    document.status, document.doc_number = "issued", "江教发〔2025〕9号"
    db.session.add(
        DocumentFile(
            document_id=document.id,
            kind="sealed_pdf",
            filename="江教发〔2025〕9号.pdf",
            content=SEALED,
            sha256=hashlib.sha256(SEALED).hexdigest(),
            size=len(SEALED),
        )
    )
    rows = [
        Distribution(
            document_id=document.id,
            unit_id=u.id,
            recipient_name=u.name,
            kind="主送",
            status=DELIVERED,
            delivered_at=clock.now(),
        )
        for u in units
    ]
    db.session.add_all(rows)
    db.session.flush()
    return Issued(document, rows)


def send(city: City, issued: Issued) -> None:
    """What 分发 sends: one ``gongwen.received`` message per platform recipient; committed."""
    for row in issued.rows:
        api.send_message(
            RECEIVED_MESSAGE,
            {"unit_id": row.unit_id},
            _received_payload(issued.document, row),
            sender_id=city.user("registrar").id,
        )
    db.session.commit()


def shouwen_instances() -> list[ProcessInstance]:
    return list(
        db.session.scalars(
            select(ProcessInstance)
            .where(ProcessInstance.process_key == "shouwen")
            .order_by(ProcessInstance.id)
            .execution_options(populate_existing=True)
        )
    )


def record_of(unit: Unit) -> IncomingRecord:
    (record,) = exchange.inbox(unit.id)
    db.session.refresh(record)
    return record


def open_tasks(instance_id: int) -> list[HumanTask]:
    return list(
        db.session.scalars(
            select(HumanTask)
            .where(HumanTask.instance_id == instance_id, HumanTask.active.is_(True))
            .order_by(HumanTask.id)
            .execution_options(populate_existing=True)
        )
    )


def do(instance_id: int, user: User, step: str, data: dict[str, Any]) -> None:
    """``user`` (assignee or candidate) does their open task ``step``; committed."""
    tasks = [t for t in open_tasks(instance_id) if t.name == step]
    mine = [t for t in tasks if t.assignee_id == user.id] or [
        t for t in tasks if t.assignee_id is None and user.id in {c.user_id for c in t.candidates}
    ]
    assert len(mine) == 1, [(t.name, t.assignee_id) for t in open_tasks(instance_id)]
    task = mine[0]
    if task.assignee_id is None:
        api.claim_task(task.id, user.id)
    api.complete_task(task.id, actor_id=user.id, data=data)
    db.session.commit()


def registrar(unit: Unit) -> User:
    return exchange.registrar_for(unit.id)


def office_director(unit: Unit) -> User:
    found = directory.office_director(unit.id)
    assert found is not None
    return found


def leader(unit: Unit) -> User:
    return directory.unit_leaders(unit.id)[0]


def departments(unit: Unit) -> list[Department]:
    return [d for d in directory.departments_of(unit.id) if not d.is_office]


def head(department: Department) -> User:
    found = directory.department_head(department.id)
    assert found is not None
    return found


def deliver(city: City, codes: list[str]) -> None:
    """Issue the 通知 to the units ``codes`` and deliver it: each gets one 收文 to 签收."""
    send(city, issue_to(city, codes))
    api.deliver_messages(worker_id="w1")


def register_form(**overrides: Any) -> dict[str, Any]:
    """A valid 登记 form for the delivered 通知 (加急, 办理期限 in five days)."""
    today = documents.beijing_today()
    form = {
        "title": "江城市教育局关于做好秋季开学工作的通知",
        "from_unit": "江城市教育局",
        "from_doc_number": "江教发〔2025〕9号",
        "category": "普发件",
        "urgency": "urgent",
        "copies": 3,
        "received_date": today.isoformat(),
        "deadline": (today + timedelta(days=5)).isoformat(),
        "need_reply": True,
    }
    return form | overrides


def sign_and_register(unit: Unit, **overrides: Any) -> int:
    """The unit's 收发员 签收s and 登记s its one 收文; its instance id."""
    record = record_of(unit)
    do(record.instance_id, registrar(unit), "签收", {"sign_action": "签收"})
    do(record.instance_id, registrar(unit), "登记", register_form(**overrides))
    return record.instance_id


def instruct_to_host(
    instance_id: int, unit: Unit, proposal: str = "建议业务科室主办"
) -> Department:
    """初审 (accepted) and 拟办 by the 办公室主任, then the leader's 批示 giving the unit's first
    department the 主办; that department, whose head now has 主办部门办理."""
    director = office_director(unit)
    do(instance_id, director, "初审", {"review_accept": True})
    do(instance_id, director, "拟办", {"proposal": proposal})
    host = departments(unit)[0]
    do(instance_id, leader(unit), "领导批示", {"instruction": "同意", "host_department": host.id})
    return host
