"""The 收文 services: what processes/shouwen.bpmn calls through the service registry.

A 收文 instance is started by the ``gongwen.received`` message a 发文's 分发 sends to each
platform recipient unit. The engine starts it as the *sending* instance's starter; the first
service (``shouwen.receive``) re-homes it to the receiving unit — its 收发员 becomes the starter —
so that ``starter_unit`` rules, the unit filter, 催办 and the instance's visibility all belong
to the unit that handles it, and the sender's people never see the recipient's internal steps
(they follow the status on their 发文 page instead).

Who acted is read from the task rows, never from process data. Registered names:
``shouwen.receive``, ``shouwen.signed``, ``shouwen.register``, ``shouwen.return``,
``shouwen.instructed``, ``shouwen.circulate``, ``shouwen.finish``, ``shouwen.archive``.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from sqlalchemy import select

from engine.registry import default_registry
from engine.runtime import circulation
from engine.runtime import history as _history
from engine.runtime.models import HumanTask, ProcessInstance
from services import clock
from services.archive import service as archive_service
from services.db import db
from services.errors import NotFound, ValidationFailed
from services.gongwen import documents, exchange, intake, shouwen_sheet
from services.gongwen.exchange_models import RETURNED, IncomingRecord
from services.gongwen.sheet import SheetOpinion
from services.org.models import Department, User

# Fields of the 登记 form that go to the record.
REGISTER_FIELDS = (
    "title",
    "from_unit",
    "from_doc_number",
    "secrecy",
    "urgency",
    "copies",
    "received_date",
    "deadline",
    "category",
    "need_reply",
)


def _instance(context: dict[str, Any]) -> ProcessInstance:
    row = db.session.get(ProcessInstance, context["instance_id"])
    if row is None:
        raise NotFound("流程实例不存在")
    return row


def _completed(instance_id: int, task_spec: str) -> HumanTask:
    """The latest completed row of ``task_spec``; filtered in Python because the runtime
    flushes the row it just closed only when the engine stops."""
    rows = db.session.scalars(
        select(HumanTask).where(
            HumanTask.instance_id == instance_id, HumanTask.task_spec == task_spec
        )
    )
    done = [r for r in rows if r.status == "completed" and r.completed_by_id]
    if not done:
        raise NotFound(f"找不到已办理的环节“{task_spec}”")
    return max(done, key=lambda r: (clock.as_utc(r.completed_at or clock.now()), r.id))


def _actor(context: dict[str, Any], task_spec: str) -> int:
    return _completed(context["instance_id"], task_spec).completed_by_id or 0


def _record(record_id: int, context: dict[str, Any]) -> IncomingRecord:
    record = exchange.get_record(record_id)
    if record.instance_id != context["instance_id"]:
        raise ValidationFailed("该收文不属于本流程", errors={"record_id": "收文与流程不符"})
    return record


# ------------------------------------------------------------------------------ 收到


def receive(payload: dict[str, Any], *, context: dict[str, Any]) -> dict[str, Any]:
    """File the delivered copy in the recipient unit's 收文箱 and re-home the instance there.

    A second delivery of the same 分发 row returns ``{"duplicate": True}``: the process ends
    without a second 收文.
    """
    instance = _instance(context)
    if isinstance(payload.get("intake_record_id"), int):
        return _receive_intake(instance, payload["intake_record_id"])
    distribution_id = payload.get("distribution_id")
    if not isinstance(distribution_id, int):
        raise ValidationFailed("来文信息缺少分发记录", errors={"payload": "缺少 distribution_id"})
    unit_id = exchange.receiving_unit(distribution_id)
    registrar = exchange.registrar_for(unit_id)
    instance.starter_id, instance.starter_unit_id = registrar.id, unit_id
    if exchange.record_for_distribution(distribution_id) is not None:
        return {"duplicate": True}
    record = exchange.receive(payload, instance_id=instance.id, registrar_id=registrar.id)
    document = record.document
    instance.title = f"收文：{document.title}"[:300]
    instance.urgency = document.urgency or "normal"
    return {"duplicate": False, **_form_values(record)}


def _receive_intake(instance: ProcessInstance, record_id: int) -> dict[str, Any]:
    """A package of the external intake API: already filed; bind it to this instance and
    re-home the instance to the recipient unit, as for a 分发 copy."""
    record = intake.attach_instance(record_id, instance.id)
    unit_id = exchange.get_record(record_id).unit_id
    registrar = exchange.registrar_for(unit_id)
    instance.starter_id, instance.starter_unit_id = registrar.id, unit_id
    if record is None:
        return {"duplicate": True}
    instance.title = f"收文：{record.document.title}"[:300]
    instance.urgency = record.document.urgency or "normal"
    return {"duplicate": False, **_form_values(record)}


def _form_values(record: IncomingRecord) -> dict[str, Any]:
    """The 登记 defaults the message payload does not carry. Kept short: the history keeps
    service results only up to a length, and replay needs them whole."""
    received = record.received_date or documents.beijing_today()  # paper: as registered
    return {
        "record_id": record.id,
        "from_unit": record.from_unit,
        "copies": record.document.copies,
        "category": record.category,
        "receipt_class": record.receipt_class,
        "received_date": received.isoformat(),
        "deadline": (
            record.deadline or exchange.default_deadline(record.document.urgency, received)
        ).isoformat(),
    }


def signed(record_id: int, *, context: dict[str, Any]) -> str:
    """签收 recorded as whoever completed the 签收 task."""
    record = exchange.mark_signed(_record(record_id, context).id, _actor(context, "sign_for"))
    return record.status


def register(record_id: int, form: dict[str, Any], *, context: dict[str, Any]) -> dict[str, Any]:
    """登记: store the fields, take the 收文号, and give the deadline timers their times."""
    record = _record(record_id, context)
    fields = {name: form[name] for name in REGISTER_FIELDS if name in form}
    # The class is read from the submitted 登记 data: the BPMN's ``form`` predates it.
    submitted = context.get("data") or {}
    if isinstance(submitted.get("receipt_class"), str):
        fields["receipt_class"] = submitted["receipt_class"]
    record = exchange.register(record.id, fields, actor_id=_actor(context, "register"))
    instance = _instance(context)
    instance.business_key = record.receipt_number
    instance.title = f"收文：{record.document.title}"[:300]
    return {"receipt_number": record.receipt_number, **exchange.deadline_times(record)}


def return_to_sender(record_id: int, reason: str, step: str, *, context: dict[str, Any]) -> str:
    """退文 with the reason, as whoever completed ``step`` (签收 or 初审)."""
    record = _record(record_id, context)
    exchange.return_to_sender(record.id, reason, actor_id=_actor(context, step))
    return RETURNED


# --------------------------------------------------------------------------- 批示、承办


def instructed(
    host_department: int, co_departments: list[Any], *, context: dict[str, Any]
) -> list[int]:
    """Check the 主办/协办 departments belong to the unit; the 协办 list without the 主办."""
    unit_id = _instance(context).starter_unit_id
    wanted = [host_department, *co_departments]
    for department_id in wanted:
        department = (
            db.session.get(Department, department_id) if isinstance(department_id, int) else None
        )
        if department is None or department.unit_id != unit_id:
            raise ValidationFailed(
                "承办部门应为本单位的部门", errors={"co_departments": "部门有误"}
            )
    return [d for d in dict.fromkeys(co_departments) if d != host_department]


def circulate(readers: list[Any], note: str = "", *, context: dict[str, Any]) -> int:
    """传阅 to the readers the leader chose at 批示, as that leader; non-blocking. Returns how
    many readers got a 待阅 item.

    The instance is already locked by the running step. Flushing first makes the rows in the
    session equal to the database, so the circulation's own lock re-read changes nothing.
    """
    ids = [r for r in readers if isinstance(r, int) and not isinstance(r, bool)]
    if not ids:
        return 0
    task = _completed(context["instance_id"], "instruct")
    db.session.flush()
    row = circulation.circulate(
        context["instance_id"],
        task.completed_by_id or 0,
        user_ids=ids,
        note=note,
        task_id=task.id,
    )
    return len(row.items)


# ------------------------------------------------------------------------ 办结、归档


def finish(record_id: int, result: str, reply: str = "", *, context: dict[str, Any]) -> str:
    """办结: result recorded, 答复 sent to the sender when one is required."""
    record = _record(record_id, context)
    exchange.finish(record.id, result, reply, actor_id=_actor(context, "finish"))
    return "已办结"


def archive(record_id: int, *, context: dict[str, Any]) -> str:
    """归档 of the finished 收文: the final 收文处理单 is rendered, then filed with the received
    document, its 附件 and the process history as one 件 (机构 = the 主办部门); the record
    leaves the active 收文箱. Returns the 档号."""
    record = _record(record_id, context)
    actor = _actor(context, "guidang_confirm")
    shouwen_sheet.store_sheet(record, processing_content(context["instance_id"]), actor_id=actor)
    events = [dataclasses.asdict(e) for e in _history.history(context["instance_id"])]
    host = (context.get("data") or {}).get("host_department")
    filed = archive_service.archive_document(
        record.document_id,
        actor_id=actor,
        history=events,
        department_id=host if isinstance(host, int) else None,
    )
    exchange.mark_archived(record.id)
    return filed.archive_code


# Completed steps whose form field goes on the 收文处理单, as (sheet step, field).
SHEET_FIELDS = {
    "propose": ("propose", "proposal"),
    "instruct": ("instruct", "instruction"),
    "host_handle": ("host", "host_feedback"),
    "co_handle": ("assist", "co_feedback"),
    "finish": ("finish", "result"),
}


def processing_content(instance_id: int) -> shouwen_sheet.SheetContent:
    """The opinions (who, what, when: from the history) and 传阅 readings of a 收文."""
    events = [e for e in _history.history(instance_id) if e.kind == "task_completed"]
    readings = circulation.readings(instance_id)
    names = _names({e.actor_id for e in events} | {r.reader_id for r in readings})
    opinions = []
    for event in events:
        step, name = SHEET_FIELDS.get(event.task_spec or "", ("", ""))
        text = (event.data.get("data") or {}).get(name)
        if step and isinstance(text, str):
            who = names.get(event.actor_id or 0)
            opinions.append(
                SheetOpinion(
                    step=step,
                    text=text,
                    name=who.name if who else "",
                    position=who.position.name if who else "",
                    at=event.at,
                )
            )
    return shouwen_sheet.SheetContent(
        opinions=opinions,
        readings=[
            shouwen_sheet.Reading(names[r.reader_id].name, r.read_at, r.comment)
            for r in readings
            if r.recalled_at is None and r.reader_id in names
        ],
    )


def _names(user_ids: set[int | None]) -> dict[int, User]:
    ids = [i for i in user_ids if i]
    return {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids)))}


default_registry.register(
    "shouwen.receive",
    receive,
    params={"payload": dict},
    description="接收来文：登记到收文单位的收文箱（每份分发只收一次）",
    with_context=True,
)
default_registry.register(
    "shouwen.signed",
    signed,
    params={"record_id": int},
    description="记录签收（签收人、签收时间），发文单位可见",
    with_context=True,
)
default_registry.register(
    "shouwen.register",
    register,
    params={"record_id": int, "form": dict},
    description="收文登记：保存登记项并取收文号，计算办理期限",
    with_context=True,
)
default_registry.register(
    "shouwen.return",
    return_to_sender,
    params={"record_id": int, "reason": str, "step": str},
    description="退文：连同理由退回发文单位",
    with_context=True,
)
default_registry.register(
    "shouwen.instructed",
    instructed,
    params={"host_department": int, "co_departments": list},
    description="核对批示的主办、协办部门（须为本单位部门）",
    with_context=True,
)
default_registry.register(
    "shouwen.circulate",
    circulate,
    params={"readers": list, "note": str},
    description="按领导批示传阅（不阻塞办理）",
    with_context=True,
)
default_registry.register(
    "shouwen.finish",
    finish,
    params={"record_id": int, "result": str, "reply": str},
    description="办结：记录办理结果，需要时向来文单位答复",
    with_context=True,
)
default_registry.register(
    "shouwen.archive",
    archive,
    params={"record_id": int},
    description="收文归档",
    with_context=True,
)
