"""Driving the 发文 process through engine.api with the demo city's 市教育局 people."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select

from engine import api
from engine.definitions import repository
from engine.runtime.models import HumanTask
from services import clock
from services.db import db
from services.org import demo
from services.org.models import Department, Unit, User
from services.seal import ca, seals

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "Demo@2025oa"
SHOWCASE = ("clerk", "depthead", "officedir", "leader", "chief", "registrar")


@dataclass
class City:
    """The demo city with 发文 deployed: 市教育局's people, its departments, other units."""

    people: dict[str, User]
    unit: Unit
    departments: dict[str, Department]
    units: dict[str, Unit] = field(default_factory=dict)

    def user(self, name: str) -> User:
        return self.people[name]

    def head_of(self, department: str) -> User:
        found = db.session.scalars(
            select(User).where(
                User.department_id == self.departments[department].id,
                User.position_code == "dept_head",
            )
        ).one()
        return found


def deploy_fawen() -> None:
    """Deploy processes/ and bpmn-models/ together, as ``oa deploy processes bpmn-models``."""
    files: dict[str, bytes] = {}
    for folder in (ROOT / "processes", ROOT / "bpmn-models"):
        for path in sorted(folder.rglob("*")):
            if path.suffix in (".bpmn", ".dmn"):
                files[path.name] = path.read_bytes()
    repository.deploy(files, deployed_by=None, comment="fawen tests")


def load_city() -> City:
    """Demo data, the platform CA, a seal for 市教育局, and the processes; committed."""
    demo.load_demo(PASSWORD)
    db.session.flush()
    city = demo_city()
    ca.init_ca()
    seals.issue_unit_seal(city.unit)
    deploy_fawen()
    db.session.commit()
    return city


def demo_city() -> City:
    """The 市教育局 showcase people, departments and every unit of an already loaded demo."""
    people = {
        name: db.session.scalars(select(User).where(User.username == name)).one()
        for name in SHOWCASE
    }
    unit = people["clerk"].unit
    departments = {d.name: d for d in unit.departments}
    units = {u.code: u for u in db.session.scalars(select(Unit))}
    return City(people=people, unit=unit, departments=departments, units=units)


def opinion(user: User, text: str) -> list[dict[str, Any]]:
    """One signed opinion entry, as the opinion widget appends it."""
    return [
        {
            "text": text,
            "user_id": user.id,
            "user_name": user.name,
            "position": "",
            "unit": user.unit.short_name,
            "time": clock.now().isoformat(),
            "signature": None,
        }
    ]


def draft_data(city: City, **overrides: Any) -> dict[str, Any]:
    """A complete 拟稿 form: a 函 to 市财政局, copied to 市人社局 and an outside body."""
    data: dict[str, Any] = {
        "doc_type": "函",
        "title": "江城市教育局关于商请支持校园安全设施建设的函",
        "main_units": [city.units["czj"].id],
        "copy_units": [city.units["rsj"].id],
        "copy_external": [{"name": "江城市教育基金会"}],
        "secrecy": "非密",
        "urgency": "normal",
        "importance": "一般",
        "copies": 5,
        "body_html": "<p>为加强校园安全工作，现商请贵局支持以下事项。</p><p>一、安全设施建设。</p>",
        "attachments_note": [{"name": "校园安全设施清单"}],
        "printing_unit": "江城市教育局办公室",
        "keywords": "校园安全",
        "disclosure": "依申请公开",
        "draft_note": "请各位领导审阅",
    }
    data.update(overrides)
    return data


def start(city: City, **data: Any) -> int:
    view = api.start_instance("fawen", starter_id=city.user("clerk").id, data=data)
    db.session.commit()
    return view.id


def open_tasks(instance_id: int) -> list[HumanTask]:
    return list(
        db.session.scalars(
            select(HumanTask)
            .where(HumanTask.instance_id == instance_id, HumanTask.active.is_(True))
            .order_by(HumanTask.id)
            .execution_options(populate_existing=True)
        )
    )


def task_for(instance_id: int, user: User) -> HumanTask:
    """The one open task of ``instance_id`` that ``user`` holds."""
    mine = [t for t in open_tasks(instance_id) if t.assignee_id == user.id]
    assert len(mine) == 1, (
        [(t.name, t.assignee_id) for t in open_tasks(instance_id)],
        incidents(instance_id),
    )
    return mine[0]


def act(instance_id: int, user: User, data: dict[str, Any], step: str | None = None) -> None:
    """``user`` completes their open task (checking it is ``step``) and the result commits."""
    task = task_for(instance_id, user)
    if step is not None:
        assert task.name == step, (task.name, step)
    api.complete_task(task.id, actor_id=user.id, data=data)
    db.session.commit()


def instance_data(instance_id: int) -> dict[str, Any]:
    """The data an open task of the instance sees."""
    return api.task_form_data(open_tasks(instance_id)[0].id)


def sign(city: City, instance_id: int, who: str, step: str) -> None:
    user = city.user(who)
    act(instance_id, user, {"sign_agree": True, "sign_opinion": opinion(user, "同意")}, step)


def review_and_sign(city: City, instance_id: int, *, principal: bool) -> None:
    """部门核稿 (no 会签 expected), 办公室核稿, then the signers and 复核."""
    depthead, officedir = city.user("depthead"), city.user("officedir")
    act(instance_id, depthead, {"dept_review_opinion": opinion(depthead, "同意")}, "部门核稿")
    office = {"format_ok": True, "office_review_opinion": opinion(officedir, "格式无误")}
    act(instance_id, officedir, office, "办公室核稿")
    sign(city, instance_id, "leader", "分管领导审核")
    if principal:
        sign(city, instance_id, "chief", "主要负责人签发")
    act(instance_id, officedir, {"substantive_change": False}, "复核")


def issue(city: City, instance_id: int) -> None:
    """登记编号 through 分发 by the 收发员; the instance then files itself (归档)."""
    registrar = city.user("registrar")
    act(instance_id, registrar, {"register_confirm": True}, "登记编号")
    act(instance_id, registrar, {"typeset_confirm": True}, "套红排版")
    act(instance_id, registrar, {"seal_confirm": True}, "用印")
    act(instance_id, registrar, {"distribute_confirm": True}, "分发")


def incidents(instance_id: int) -> list[str]:
    """Open incident messages of the instance (for assertion messages)."""
    return [i.message for i in api.list_incidents(instance_id=instance_id)]
