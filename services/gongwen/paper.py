"""纸质来文登记: a paper document that reached a unit outside the platform, registered by hand
by the unit's 收发员 (or 办公室主任) with its scans.

:func:`check_letter` checks everything (who may register into which unit, every field, every
file) before anything is written; :func:`file_letter` then adds the 收文 (``GongwenDocument``
direction ``in``, the scans as its 正本 files, the attachments, the ``IncomingRecord`` in status
已送达) and an audit event in the caller's transaction. The caller sends the
``gongwen.received`` message (:func:`message_payload`, the same ``intake_record_id`` payload as
the external intake API) that starts ``processes/shouwen.bpmn``; from there the 收文 is 签收ed,
登记ed … like any other, with the values typed here as its 登记 defaults.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from services import clock
from services.audit import log as audit
from services.db import db
from services.errors import Forbidden, ValidationFailed
from services.files import policy
from services.gongwen import documents, exchange, receipt_classes
from services.gongwen import fields as checks
from services.gongwen.exchange_models import CATEGORIES, DELIVERED, IncomingRecord
from services.gongwen.intake import Upload, store_file
from services.org import directory
from services.org.models import User
from services.org.roles import REGISTRAR

# A scan is a picture or a fixed-layout document of the paper original.
SCAN_KINDS = ("pdf", "ofd", "jpg", "png")
MAX_SCANS = 20
MAX_ATTACHMENTS = 20
MAX_FROM_UNIT = 100
MAX_DOC_NUMBER = 60
FORBIDDEN = "只有本单位的收发员或办公室主任可以登记纸质来文。"
# Form field -> GongwenDocument field checked by services.gongwen.fields.
DOCUMENT_FIELDS = ("title", "doc_type", "secrecy", "urgency", "copies")
REQUIRED_TEXT = {
    "from_unit": "请填写来文单位",
    "title": "请填写标题",
    "doc_type": "请选择文种",
    "category": "请选择类别",
    "received_date": "请填写收文日期",
}


@dataclass(frozen=True)
class PaperLetter:
    """A paper 来文 that passed every check, ready to be filed."""

    unit_id: int
    actor: User
    values: dict[str, Any]  # GongwenDocument fields
    from_unit: str
    from_doc_number: str
    category: str
    receipt_class: str
    received_date: date
    deadline: date
    scans: list[policy.CheckedFile]
    attachments: list[policy.CheckedFile]


def may_register(user: User, unit_id: int) -> bool:
    """The unit's 收发员 and its 办公室主任 register paper 来文, into that unit only."""
    if not user.active or user.unit_id != unit_id:
        return False
    director = directory.office_director(unit_id)
    registrars = {u.id for u in directory.role_members(REGISTRAR, unit_id)}
    return user.id in registrars or (director is not None and director.id == user.id)


def check_letter(
    actor: User,
    unit_id: int,
    form: Mapping[str, Any],
    scans: list[Upload],
    attachments: list[Upload],
) -> PaperLetter:
    """Every rule, before anything is written: Forbidden for someone who may not register
    into ``unit_id``; ValidationFailed with per-field Chinese messages otherwise."""
    if not may_register(actor, unit_id):
        raise Forbidden(FORBIDDEN, unit_id=unit_id)
    errors: dict[str, str] = {}
    text = {name: _text(form.get(name)) for name in (*REQUIRED_TEXT, "from_doc_number")}
    for name, message in REQUIRED_TEXT.items():
        if not text[name]:
            errors[name] = message
    values = _document_values(form, errors)
    from_unit, from_doc_number = text["from_unit"], text["from_doc_number"]
    if len(from_unit) > MAX_FROM_UNIT:
        errors["from_unit"] = f"来文单位不能超过 {MAX_FROM_UNIT} 个字"
    if len(from_doc_number) > MAX_DOC_NUMBER:
        errors["from_doc_number"] = f"来文文号不能超过 {MAX_DOC_NUMBER} 个字符"
    category = text["category"]
    if category and category not in CATEGORIES:
        errors["category"] = "类别应为普发件、报告、请示、函件、其他或密件"
    receipt_class = _text(form.get("receipt_class")) or receipt_classes.default_class(category)
    if problem := receipt_classes.class_error(receipt_class):
        errors["receipt_class"] = problem
    received, deadline = _dates(form, values.get("urgency", "normal"), errors)
    checked_scans = _files(scans, "scans", MAX_SCANS, errors, kinds=SCAN_KINDS)
    if not scans and "scans" not in errors:
        errors["scans"] = "请上传来文扫描件（PDF、OFD、JPEG 或 PNG）"
    checked_attachments = _files(attachments, "attachments", MAX_ATTACHMENTS, errors)
    if errors or received is None or deadline is None:
        raise ValidationFailed("纸质来文登记信息有误", errors=errors)
    return PaperLetter(
        unit_id, actor, values, from_unit, from_doc_number, category, receipt_class,
        received, deadline, checked_scans, checked_attachments,
    )  # fmt: skip


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _document_values(form: Mapping[str, Any], errors: dict[str, str]) -> dict[str, Any]:
    raw = {name: form.get(name) for name in DOCUMENT_FIELDS if form.get(name) not in (None, "")}
    problems: dict[str, str] = {}
    values = checks.clean(raw, problems)
    for name, message in problems.items():
        errors.setdefault(name, message)
    return values


def _dates(
    form: Mapping[str, Any], urgency: str, errors: dict[str, str]
) -> tuple[date | None, date | None]:
    received = _date(form.get("received_date"), "received_date", errors)
    deadline = _date(form.get("deadline"), "deadline", errors)
    if received is not None and received > documents.beijing_today():
        errors["received_date"] = "收文日期不能晚于今天"
    if received is not None and deadline is not None and deadline < received:
        errors["deadline"] = "办理期限不能早于收文日期"
    if received is not None and deadline is None and "deadline" not in errors:
        deadline = exchange.default_deadline(urgency, received)
    return received, deadline


def _date(value: Any, field: str, errors: dict[str, str]) -> date | None:
    if not _text(value):
        return None
    try:
        return date.fromisoformat(_text(value))
    except ValueError:
        errors[field] = "日期格式应为 YYYY-MM-DD"
        return None


def _files(
    uploads: list[Upload],
    field: str,
    most: int,
    errors: dict[str, str],
    *,
    kinds: tuple[str, ...] | None = None,
) -> list[policy.CheckedFile]:
    if len(uploads) > most:
        errors[field] = f"文件不能超过 {most} 个"
        return []
    limit = policy.size_limit()
    checked: list[policy.CheckedFile] = []
    for upload in uploads:
        name = policy.sanitize_filename(upload.filename)
        if upload.content is None:
            errors[field] = f"文件「{name}」超过 {limit:g} MB 的大小限制"
            continue
        try:
            found = policy.check(upload.filename, upload.content)
        except ValidationFailed as exc:
            errors[field] = exc.message
            continue
        if kinds is not None and found.kind.name not in kinds:
            errors[field] = f"扫描件「{name}」应为 PDF、OFD、JPEG 或 PNG 文件"
            continue
        checked.append(found)
    return checked


def file_letter(letter: PaperLetter) -> IncomingRecord:
    """File a checked paper 来文 in the unit's 收文箱 (status 已送达); audited; caller commits."""
    document = documents.create_document(
        direction="in",
        unit_id=letter.unit_id,
        drafter_id=letter.actor.id,
        status="received",
        doc_number=letter.from_doc_number or None,
        **letter.values,
    )
    for scan in letter.scans:
        store_file(document.id, "sealed_pdf", scan, actor_id=letter.actor.id)
    for attachment in letter.attachments:
        store_file(document.id, "attachment", attachment, actor_id=letter.actor.id)
    record = IncomingRecord(
        document_id=document.id,
        unit_id=letter.unit_id,
        status=DELIVERED,
        delivered_at=clock.now(),
        from_unit=letter.from_unit,
        from_doc_number=letter.from_doc_number,
        category=letter.category,
        receipt_class=letter.receipt_class,
        received_date=letter.received_date,
        deadline=letter.deadline,
    )
    db.session.add(record)
    db.session.flush()
    _audit(letter, record)
    return record


def _audit(letter: PaperLetter, record: IncomingRecord) -> None:
    audit.record(
        "gongwen.paper_registered",
        user=letter.actor,
        object_type="收文",
        object_id=record.id,
        detail={
            "unit_id": letter.unit_id,
            "from_unit": letter.from_unit,
            "from_doc_number": letter.from_doc_number,
            "scans": [f.filename for f in letter.scans],
            "attachments": len(letter.attachments),
        },
    )


def message_payload(record: IncomingRecord) -> dict[str, Any]:
    """The ``gongwen.received`` payload that starts the 收文 process for a paper 来文."""
    document = record.document
    return {
        "intake_record_id": record.id,
        "doc_number": document.doc_number,
        "title": document.title,
        "doc_type": document.doc_type,
        "urgency": document.urgency,
        "secrecy": document.secrecy,
        "from_unit": record.from_unit,
        "paper": True,
    }
