"""What the 签报 and 收文 screenshots need, seeded through the engine API on the demo city.

市教育局 receives three 收文 from other units (收办 / 收报 / 收抄); the first goes the whole
way to 归档 (档号 and 收文处理单). It also has three 签报: one filed, one at 领导批示 and one at
部门审核. The clock is frozen a few hours back and moved step by step, so times look real.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta

from engine import api
from engine.gongwen_services import RECEIVED_MESSAGE, _received_payload
from services import clock
from services.db import db
from services.gongwen import documents, exchange
from services.gongwen.distribution_models import DELIVERED, Distribution
from services.gongwen.models import DocumentFile
from services.org.models import Unit
from tests.gongwen import fawen_helpers as fawen
from tests.shouwen.helpers import departments, do, head, leader, office_director, registrar

SEALED = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@dataclass(frozen=True)
class Incoming:
    sender: str
    doc_type: str
    title: str
    number: str
    category: str
    receipt_class: str


INCOMING = (
    Incoming(
        "zf",
        "通知",
        "江城市人民政府关于做好2025年防汛工作的通知",
        "江政发〔2025〕12号",
        "普发件",
        "收办",
    ),
    Incoming(
        "qsz",
        "请示",
        "青石镇人民政府关于青石小学校舍维修经费的请示",
        "青石政〔2025〕7号",
        "请示",
        "收报",
    ),
    Incoming(
        "czj",
        "函",
        "江城市财政局关于2025年教育专项资金预拨情况的函",
        "江财函〔2025〕21号",
        "函件",
        "收抄",
    ),
)
QIANBAO = "关于申请购置中小学实验室教学设备的签报"


def _issue(city: fawen.City, item: Incoming, unit: Unit) -> None:
    """An issued 发文 of ``item.sender`` delivered to ``unit``: its ``gongwen.received``."""
    sender = city.units[item.sender]
    document = documents.create_document(
        direction="out",
        unit_id=sender.id,
        doc_type=item.doc_type,
        title=item.title,
        drafter_id=registrar(sender).id,
        main_recipients=[{"unit_id": unit.id, "name": unit.name}],
        urgency="normal",
        copies=2,
    )
    document.status, document.doc_number = "issued", item.number
    db.session.add(
        DocumentFile(
            document_id=document.id,
            kind="sealed_pdf",
            filename=f"{item.number}.pdf",
            content=SEALED,
            sha256=hashlib.sha256(SEALED).hexdigest(),
            size=len(SEALED),
        )
    )
    row = Distribution(
        document_id=document.id,
        unit_id=unit.id,
        recipient_name=unit.name,
        kind="主送",
        status=DELIVERED,
        delivered_at=clock.now(),
    )
    db.session.add(row)
    db.session.flush()
    api.send_message(
        RECEIVED_MESSAGE,
        {"unit_id": unit.id},
        _received_payload(document, row),
        sender_id=registrar(sender).id,
    )
    db.session.commit()


def _register(city: fawen.City, unit: Unit, instance_id: int, item: Incoming) -> None:
    today = documents.beijing_today()
    form = {
        "title": item.title,
        "from_unit": city.units[item.sender].name,
        "from_doc_number": item.number,
        "category": item.category,
        "receipt_class": item.receipt_class,
        "urgency": "normal",
        "copies": 2,
        "received_date": today.isoformat(),
        "deadline": (today + timedelta(days=7)).isoformat(),
        "need_reply": item.receipt_class == "收办",
    }
    do(instance_id, registrar(unit), "签收", {"sign_action": "签收"})
    do(instance_id, registrar(unit), "登记", form)


def _handle_to_the_end(unit: Unit, instance_id: int, fake: clock.FrozenClock) -> None:
    """初审 -> 拟办 -> 批示 -> 主办 + 协办 -> 办结 -> 归档, about an hour apart."""
    director, boss = office_director(unit), leader(unit)
    host, co, *_ = departments(unit)
    do(instance_id, director, "初审", {"review_accept": True})
    fake.advance(minutes=50)
    do(instance_id, director, "拟办", {"proposal": "建议由基础教育科主办，计划财务科协办"})
    fake.advance(hours=1)
    instruction = {
        "instruction": "同意，请抓紧落实，确保汛期校园安全",
        "host_department": host.id,
        "co_departments": [co.id],
        "readers": [],
    }
    do(instance_id, boss, "领导批示", instruction)
    fake.advance(hours=1)
    do(instance_id, head(co), "协办部门办理", {"co_feedback": "已排查校舍并报送清单"})
    do(instance_id, head(host), "主办部门办理", {"host_feedback": "已部署各校开展防汛检查"})
    fake.advance(minutes=40)
    reply = "我局已部署全市学校做好防汛工作"
    do(instance_id, director, "办结", {"result": "已全部落实", "reply": reply})
    do(instance_id, registrar(unit), "归档", {"archive_confirm": True})


def seed_shouwen(city: fawen.City) -> int:
    """Three 收文 of 市教育局, the first filed; returns the filed record's id."""
    unit = city.unit
    fake = clock.FrozenClock(clock.now() - timedelta(hours=6))
    with clock.use_clock(fake):
        for item in INCOMING:
            _issue(city, item, unit)
            fake.advance(minutes=20)
        api.deliver_messages(worker_id="screenshots")
        db.session.commit()
        records = sorted(exchange.inbox(unit.id), key=lambda r: r.id)
        for record, item in zip(records, INCOMING, strict=True):
            _register(city, unit, record.instance_id, item)
            fake.advance(minutes=10)
        _handle_to_the_end(unit, records[0].instance_id, fake)
    filed = exchange.record_for_instance(records[0].instance_id)
    assert filed is not None and filed.archived_at is not None
    return filed.id


def _qianbao_draft(city: fawen.City, title: str, countersign: tuple[str, ...]) -> dict:
    return {
        "title": title,
        "secrecy": "非密",
        "urgency": "normal",
        "huiqian_chosen": [city.departments[n].id for n in countersign],
        "body_html": "<p>为保障实验教学，拟购置一批实验室教学设备，妥否，请批示。</p>",
        "draft_note": "拟请分管领导批示",
    }


def _start_qianbao(city: fawen.City, title: str, countersign: tuple[str, ...]) -> int:
    clerk = city.user("clerk")
    instance_id = api.start_instance("qianbao", starter_id=clerk.id, data={}).id
    db.session.commit()
    fawen.act(instance_id, clerk, _qianbao_draft(city, title, countersign), "拟稿")
    return instance_id


def seed_qianbao(city: fawen.City) -> None:
    """Three 签报 of 市教育局: filed (会签 by two departments), at 领导批示, at 部门审核."""
    clerk, depthead, boss = city.user("clerk"), city.user("depthead"), city.user("leader")
    fake = clock.FrozenClock(clock.now() - timedelta(days=2))
    with clock.use_clock(fake):
        filed = _start_qianbao(city, QIANBAO, ("人事科", "计划财务科"))
        fawen.act(filed, depthead, {"dept_review_opinion": fawen.opinion(depthead, "同意报批")})
        for name in ("人事科", "计划财务科"):
            signer = city.head_of(name)
            fawen.act(filed, signer, {"huiqian_opinion": fawen.opinion(signer, "会签同意")})
        fake.advance(hours=3)
        instruction = fawen.opinion(boss, "同意购置，请计划财务科按程序办理采购")
        fawen.act(filed, boss, {"sign_opinion": instruction}, "领导批示")
        fawen.act(filed, clerk, {"result": "已按批示完成采购申报"}, "办结")
        fake.advance(days=1)
        waiting = _start_qianbao(city, "关于组织全市中小学教师暑期培训的签报", ())
        fawen.act(waiting, depthead, {"dept_review_opinion": fawen.opinion(depthead, "同意")})
        fake.advance(hours=4)
        _start_qianbao(city, "关于调整2025年校园安全检查时间的签报", ())
