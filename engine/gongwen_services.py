"""The 发文 services: what processes/fawen.bpmn calls through the service registry.

Each service here is a thin adapter: it reads the calling instance (its starter, who completed
which step) from the engine's tables, then calls the plain functions of ``services.gongwen``,
``services.numbering``, ``services.documents``, ``services.seal`` and ``services.archive``.
Who acted is never taken from process data (which a form could forge) but from the task rows:
the 签发人 is whoever completed the signing task, the seal is used by whoever completed 用印.

Registered names: ``gongwen.deadlines``, ``gongwen.save``, ``gongwen.countersign_departments``,
``gongwen.sign_off``, ``numbering.reserve``, ``documents.typeset``, ``seal.apply``,
``gongwen.distribute``, ``gongwen.sheet``, ``archive.file``, ``gongwen.escalate``.
"""

from __future__ import annotations

import dataclasses
import hashlib
from typing import Any

from sqlalchemy import select

from engine.registry import default_registry
from engine.runtime import history as _history
from engine.runtime import messages as _messages
from engine.runtime.models import HumanTask, ProcessInstance
from services import clock
from services.archive import service as archive
from services.convert.libreoffice import convert_to_pdf
from services.db import db
from services.documents import redhead
from services.documents.model import chinese_date
from services.errors import NotFound, ValidationFailed
from services.gongwen import deadlines, distribution, documents, sheet, versions
from services.gongwen.models import DocumentFile, GongwenDocument
from services.notify.inapp import send_in_app
from services.numbering import service as numbering
from services.org import directory
from services.org.models import Department, Unit, User
from services.seal.placement import placement_over_date
from services.seal.sign import SealUse, sign_pdf

# The message a distributed 发文 sends to each platform recipient unit (the 收文 process
# starts on it); correlation {"unit_id": <recipient unit id>}.
RECEIVED_MESSAGE = "gongwen.received"
# Form fields copied as they are onto the record.
PLAIN_FIELDS = (
    "doc_type",
    "title",
    "secrecy",
    "secrecy_term",
    "urgency",
    "importance",
    "copies",
    "signer_id",
    "note",
    "printing_unit",
    "keywords",
    "disclosure",
)
# Record fields whose errors the 拟稿 form shows under another field name.
FORM_FIELD_OF = {"main_recipients": "main_units", "copy_recipients": "copy_units"}
# Statuses in which the document counts as approved (签发) for the seal policy.
APPROVED = ("signed", "registered")
# Which form field holds each step's opinions on the 发文稿纸.
SHEET_FIELDS = {
    "draft": "draft_note",
    "dept_review": "dept_review_opinion",
    "countersign": "huiqian_opinions",
    "review": "office_review_opinion",
    "sign": "sign_opinion",
}


# ------------------------------------------------------------------------ engine lookups


def _instance(context: dict[str, Any]) -> ProcessInstance:
    row = db.session.get(ProcessInstance, context["instance_id"])
    if row is None:
        raise NotFound("流程实例不存在")
    return row


def _last_completed(instance_id: int, task_spec: str | None = None) -> HumanTask:
    """The most recently completed human task of the instance (of ``task_spec`` if given).

    Filtered in Python: the runtime closes the current row in the session and flushes only
    when the engine stops, so the database does not show it completed yet.
    """
    query = select(HumanTask).where(HumanTask.instance_id == instance_id)
    if task_spec:
        query = query.where(HumanTask.task_spec == task_spec)
    done = [
        (clock.as_utc(row.completed_at), row.id, row)
        for row in db.session.scalars(query)
        if row.status == "completed" and row.completed_at and row.completed_by_id
    ]
    if not done:
        raise NotFound(f"找不到已办理的环节“{task_spec or ''}”")
    return max(done, key=lambda item: item[:2])[2]


def _actor(context: dict[str, Any]) -> int:
    """Who completed the step just before this service task."""
    return _last_completed(context["instance_id"]).completed_by_id or 0


def _document(document_id: int, context: dict[str, Any]) -> GongwenDocument:
    """The record, refusing one that belongs to another instance."""
    document = documents.get_document(document_id)
    if document.instance_id != context["instance_id"]:
        raise ValidationFailed("该公文不属于本流程", errors={"document_id": "公文与流程不符"})
    return document


# ------------------------------------------------------------------------------ 拟稿


def fawen_deadlines() -> dict[str, dict[str, str]]:
    """办理期限 table by 紧急程度 for the boundary timers (see services.gongwen.deadlines)."""
    return deadlines.deadline_table()


def save(
    stage: str = "draft", direction: str = "out", *, context: dict[str, Any]
) -> dict[str, Any]:
    """Create or update the instance's 公文 (``direction`` out 发文, internal 签报) from the 拟稿
    form; never raises for bad input.

    Returns ``{"document_id", "ok", "errors"}``; ``errors`` uses the form's field names, so the
    拟稿 form shows them when the process sends the drafter back. At ``stage`` draft the 上行文
    rules (请示: a 签发人 and one 主送机关) are checked as well.
    """
    instance = _instance(context)
    data = context["data"]
    errors: dict[str, str] = {}
    fields = _record_fields(data, errors)
    document = documents.document_for_instance(instance.id)
    try:
        document = _store(document, instance, fields, direction)
        _save_body(document, data.get("body_html"), instance.starter_id)
        if stage == "draft" and document.doc_type in documents.UPWARD_TYPES:
            documents.check_ready(document, "signed")
    except ValidationFailed as exc:
        errors.update(exc.errors or {"title": exc.message})
    errors = {FORM_FIELD_OF.get(name, name): message for name, message in errors.items()}
    if document is not None and not errors and document.status == "draft":
        document.status = "reviewing"
    return {"document_id": document.id if document else None, "ok": not errors, "errors": errors}


def _record_fields(data: dict[str, Any], errors: dict[str, str]) -> dict[str, Any]:
    fields = {name: data[name] for name in PLAIN_FIELDS if name in data}
    fields["main_recipients"] = _recipients(data, "main", errors)
    fields["copy_recipients"] = _recipients(data, "copy", errors)
    fields["attachments_note"] = [row.get("name", "") for row in data.get("attachments_note") or []]
    return fields


def _recipients(data: dict[str, Any], prefix: str, errors: dict[str, str]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for unit_id in data.get(f"{prefix}_units") or []:
        unit = db.session.get(Unit, unit_id) if isinstance(unit_id, int) else None
        if unit is None:
            errors[f"{prefix}_units"] = "所选单位不存在"
            continue
        found.append({"unit_id": unit.id, "name": unit.name})
    found += [
        {"unit_id": None, "name": row["name"]} for row in data.get(f"{prefix}_external") or []
    ]
    return found


def _store(
    document: GongwenDocument | None,
    instance: ProcessInstance,
    fields: dict[str, Any],
    direction: str = "out",
) -> GongwenDocument:
    starter = directory.get_user(instance.starter_id)
    if document is not None:
        return documents.update_fields(document.id, fields, actor_id=starter.id)
    values = dict(fields)
    return documents.create_document(
        direction=direction,
        unit_id=starter.unit_id,
        doc_type=values.pop("doc_type", ""),
        title=values.pop("title", ""),
        drafter_id=starter.id,
        drafting_department_id=starter.department_id,
        instance_id=instance.id,
        **values,
    )


def _save_body(document: GongwenDocument, html: Any, author_id: int) -> None:
    """Keep the form's 正文 as a new version when it changed."""
    if not isinstance(html, str) or not html.strip():
        return
    latest = versions.latest_version(document.id)
    if latest is not None and latest.kind == "html" and latest.html == html:
        return
    version = versions.save_html_version(document.id, html, author_id=author_id)
    if latest is not None and latest.kind == "html" and latest.html == version.html:
        db.session.delete(version)  # only the sanitising changed it: no new version
        db.session.flush()


def countersign_departments(
    chosen: list[Any], suggested: list[Any], *, context: dict[str, Any]
) -> list[int]:
    """会签 departments: those the drafter chose plus those the DMN suggests (by name, in the
    drafting unit), without the drafting department itself, in directory order."""
    instance = _instance(context)
    starter = directory.get_user(instance.starter_id)
    departments = directory.departments_of(starter.unit_id)
    by_name = {d.name: d.id for d in departments}
    wanted = {i for i in chosen if isinstance(i, int)}
    wanted |= {by_name[name] for name in suggested if isinstance(name, str) and name in by_name}
    for department_id in wanted:
        if db.session.get(Department, department_id) is None:
            raise ValidationFailed("会签部门不存在", errors={"huiqian_chosen": "会签部门不存在"})
    wanted.discard(starter.department_id or 0)
    order = [d.id for d in departments]
    return sorted(wanted, key=lambda i: (order.index(i) if i in order else len(order), i))


# ------------------------------------------------------------------------------ 签发


def sign_off(signer_task: str, *, context: dict[str, Any]) -> dict[str, Any]:
    """Record the 签发: the 签发人 is whoever completed ``signer_task``; 成文日期 is today
    (Beijing); the newest 正文 version becomes the 定稿."""
    instance = _instance(context)
    signer_id = _last_completed(instance.id, signer_task).completed_by_id
    document = documents.document_for_instance(instance.id)
    if document is None:
        raise NotFound("本流程尚未保存公文")
    fields = {
        "signer_id": signer_id,
        "signed_at": clock.now(),
        "issued_date": documents.beijing_today().isoformat(),
        "status": "signed",
    }
    documents.update_fields(document.id, fields, actor_id=signer_id or instance.starter_id)
    latest = versions.latest_version(document.id)
    if latest is not None and signer_id is not None:
        versions.mark_final(document.id, latest.id, actor_id=signer_id)
    return {"signer_id": signer_id, "issued_date": fields["issued_date"]}


def reserve_number(document_id: int, *, context: dict[str, Any]) -> str:
    """登记编号: take the next 发文字号 of the unit for the 文种 and write it on the record."""
    document = _document(document_id, context)
    if document.doc_number:
        return document.doc_number  # a retried service task keeps its number
    actor = _actor(context)
    issuer = numbering.issuer_code_for(document.unit, document.doc_type)
    year = (document.issued_date or documents.beijing_today()).year
    issued = numbering.reserve(issuer, year, ref=f"gongwen:{document.id}", actor_id=actor)
    documents.update_fields(
        document.id, {"doc_number": issued.number, "status": "registered"}, actor_id=actor
    )
    return issued.number


# --------------------------------------------------------------------------- 套红、用印


def typeset(document_id: int, *, context: dict[str, Any]) -> int:
    """套红: render the GB/T 9704 red-header .docx and keep it as a ``redhead_docx`` file.

    The 版记 prints 印发机关 and 印发日期: unless the drafter named them, the unit's 办公室
    prints the document on the day it is typeset.
    """
    document = _document(document_id, context)
    printing: dict[str, Any] = {}
    if document.printed_date is None:
        printing["printed_date"] = documents.beijing_today().isoformat()
    if not document.printing_unit:
        printing["printing_unit"] = f"{document.unit.name}办公室"
    if printing:
        actor = _last_completed(context["instance_id"]).completed_by_id
        documents.update_fields(document.id, printing, actor_id=actor or document.drafter_id)
    content = redhead.render(documents.to_render_model(document))
    row = _store_file(document.id, "redhead_docx", f"{document.title[:60]}.docx", content, None)
    return row.id


def apply_seal(document_id: int, *, context: dict[str, Any]) -> int:
    """用印: convert the red-header file to PDF and seal it as whoever completed the last step.

    The seal policy (services.seal.sign) refuses unless that step is 用印 and the document is
    signed; the refusal is logged and fails the service task.
    """
    document = _document(document_id, context)
    step = _last_completed(context["instance_id"])
    source = _latest_file(document.id, "redhead_docx")
    pdf = convert_to_pdf(source.content)
    placement = placement_over_date(pdf, chinese_date(document.issued_date or clock.now().date()))
    use = SealUse(
        unit_id=document.unit_id,
        user_id=step.completed_by_id or 0,
        purpose=f"发文用印：{document.doc_number or document.title}"[:200],
        step=step.name,
        approved=document.status in APPROVED,
        reference=f"fawen:{context['instance_id']}/task:{step.id}",
    )
    sealed = sign_pdf(pdf, use, placement)
    name = f"{document.doc_number or document.title[:60]}.pdf"
    return _store_file(document.id, "sealed_pdf", name, sealed, step.completed_by_id).id


def _latest_file(document_id: int, kind: str) -> DocumentFile:
    row = db.session.scalars(
        select(DocumentFile)
        .where(DocumentFile.document_id == document_id, DocumentFile.kind == kind)
        .order_by(DocumentFile.id.desc())
    ).first()
    if row is None:
        raise NotFound("尚未生成套红文件")
    return row


def _store_file(
    document_id: int, kind: str, filename: str, content: bytes, actor_id: int | None
) -> DocumentFile:
    row = DocumentFile(
        document_id=document_id,
        kind=kind,
        filename=filename,
        content=content,
        sha256=hashlib.sha256(content).hexdigest(),
        size=len(content),
        created_at=clock.now(),
        created_by_id=actor_id,
    )
    db.session.add(row)
    db.session.flush()
    return row


# ------------------------------------------------------------------------ 分发、归档


def distribute(document_id: int, *, context: dict[str, Any]) -> dict[str, Any]:
    """分发: one row per recipient; each platform unit gets a ``gongwen.received`` message."""
    document = _document(document_id, context)
    actor = _actor(context)
    rows = distribution.distribute(document, actor_id=actor)
    for row in rows:
        if row.unit_id is not None:
            message = _messages.send_message(
                RECEIVED_MESSAGE,
                {"unit_id": row.unit_id},
                _received_payload(document, row),
                source_instance_id=context["instance_id"],
            )
            db.session.flush()
            row.message_id = message.id
    return {
        "delivered": [r.unit_id for r in rows if r.unit_id is not None],
        "to_mail": [r.recipient_name for r in rows if r.unit_id is None],
    }


def _received_payload(document: GongwenDocument, row: distribution.Distribution) -> dict[str, Any]:
    return {
        "document_id": document.id,
        "distribution_id": row.id,
        "doc_number": document.doc_number,
        "title": document.title,
        "doc_type": document.doc_type,
        "kind": row.kind,
        "from_unit_id": document.unit_id,
        "urgency": document.urgency,
        "secrecy": document.secrecy,
    }


def store_sheet(document_id: int, *, context: dict[str, Any]) -> int:
    """发文稿纸: print the opinions gathered so far and keep the sheet (.docx and PDF)."""
    _document(document_id, context)
    actor = _actor(context)
    files = sheet.store_sheet(document_id, sheet_opinions(context["data"]), actor_id=actor)
    return files[1].id


def sheet_opinions(data: dict[str, Any]) -> list[sheet.SheetOpinion]:
    """The opinions of the process data, step by step, as the sheet prints them."""
    opinions: list[sheet.SheetOpinion] = []
    for step, field in SHEET_FIELDS.items():
        value = data.get(field)
        if step == "draft":
            if isinstance(value, str) and value.strip():
                opinions.append(sheet.SheetOpinion(step="draft", text=value, name=""))
            continue
        entries = _flatten(value)
        opinions += sheet.opinions_from_entries(step, entries)
    return opinions


def _flatten(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, dict):  # a 会签 collection keyed by instance
        value = list(value.values())
    entries: list[dict[str, Any]] = []
    for item in value or []:
        entries += _flatten(item) if isinstance(item, list) else [item]
    return [e for e in entries if isinstance(e, dict)]


def file_archive(document_id: int, *, context: dict[str, Any]) -> str:
    """归档: file the finished document (an issued 发文, or a 签报 with its 签报单) with the
    process history as one 件; returns the 档号."""
    _document(document_id, context)
    events = [dataclasses.asdict(e) for e in _history.history(context["instance_id"])]
    record = archive.archive_document(document_id, actor_id=_actor(context), history=events)
    return record.archive_code


# ------------------------------------------------------------------------------ 督办


def escalate(task: str = "", *, context: dict[str, Any]) -> dict[str, Any]:
    """超期督办: tell the holders and the unit office (办公室主任, 收发员) a step is overdue."""
    instance = _instance(context)
    query = select(HumanTask).where(
        HumanTask.instance_id == instance.id, HumanTask.active.is_(True)
    )
    if task:
        query = query.where(HumanTask.task_spec == task)
    rows = list(db.session.scalars(query))
    office = _office_people(instance.starter_unit_id)
    notes = []
    for row in rows:
        holders = [row.assignee_id] if row.assignee_id else [c.user_id for c in row.candidates]
        title = f"超期督办：{row.name}（{row.title}）"
        send_in_app(holders, "remind", title, "办理期限已到，请立即办理")
        notes.append(_overdue_note(row, holders))
    if rows:  # the office hears once per escalation, however many parallel steps are late
        title = title if len(rows) == 1 else f"超期督办：{instance.title}"
        send_in_app(office, "escalate", title[:200], "；".join(notes))
    return {"overdue": [row.id for row in rows], "office": office}


def _office_people(unit_id: int | None) -> list[int]:
    if unit_id is None:
        return []
    director = directory.office_director(unit_id)
    people = [director] if director is not None else []
    people += directory.role_members("registrar", unit_id)
    return list(dict.fromkeys(user.id for user in people))


def _overdue_note(row: HumanTask, holders: list[int]) -> str:
    names = [user.name for user in (db.session.get(User, uid) for uid in holders) if user]
    return f"“{row.name}”已超过办理期限，办理人：{'、'.join(names) or '无'}"


# ------------------------------------------------------------------------ registration

default_registry.register(
    "gongwen.deadlines", fawen_deadlines, params={}, description="发文各环节办理期限（按紧急程度）"
)
default_registry.register(
    "gongwen.save",
    save,
    params={"stage": str, "direction": str},
    description="保存公文（或签报）要素并校验（请示须有签发人、只能主送一个机关）",
    with_context=True,
)
default_registry.register(
    "gongwen.countersign_departments",
    countersign_departments,
    params={"chosen": list, "suggested": list},
    description="确定会签部门：拟稿人选择的部门加规则建议的部门",
    with_context=True,
)
default_registry.register(
    "gongwen.sign_off",
    sign_off,
    params={"signer_task": str},
    description="记录签发：签发人、签发时间、成文日期，并确定定稿",
    with_context=True,
)
default_registry.register(
    "numbering.reserve",
    reserve_number,
    params={"document_id": int},
    description="登记编号：取下一个发文字号并写入公文",
    with_context=True,
)
default_registry.register(
    "documents.typeset",
    typeset,
    params={"document_id": int},
    description="套红排版：按 GB/T 9704 生成红头 .docx",
    with_context=True,
)
default_registry.register(
    "seal.apply",
    apply_seal,
    params={"document_id": int},
    description="用印：转换 PDF 并加盖本单位电子印章（仅限“用印”环节、已签发的公文）",
    with_context=True,
)
default_registry.register(
    "gongwen.distribute",
    distribute,
    params={"document_id": int},
    description="分发：按主送、抄送机关逐一登记，平台内单位进入其收文箱",
    with_context=True,
)
default_registry.register(
    "gongwen.sheet",
    store_sheet,
    params={"document_id": int},
    description="生成发文稿纸（汇总各环节意见）",
    with_context=True,
)
default_registry.register(
    "archive.file",
    file_archive,
    params={"document_id": int},
    description="归档：公文连同稿纸和办理过程归档，返回档号",
    with_context=True,
)
default_registry.register(
    "gongwen.escalate",
    escalate,
    params={"task": str},
    description="超期督办：通知办理人和单位办公室",
    with_context=True,
)
