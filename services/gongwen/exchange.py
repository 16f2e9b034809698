"""公文交换 inside the platform: the 收文箱 of each unit and the status each recipient reports back.

A distributed 发文 reaches a recipient unit as one engine message; the 收文 process it starts calls
:func:`receive`, which files a copy (a ``GongwenDocument`` with direction ``in`` and the sealed
PDF) in that unit's 收文箱 exactly once per 分发 row. 签收, 退文 and 办结 then update both the
:class:`IncomingRecord` and the sender's ``Distribution`` row, so the sender sees per recipient
已送达 / 已签收 (who, when) / 已退文 (why) / 已办结.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import select

from services import clock
from services.db import db
from services.errors import Conflict, Forbidden, NotFound, ValidationFailed
from services.gongwen import deadlines, documents, intake_callbacks, receipt_classes
from services.gongwen.distribution_models import Distribution
from services.gongwen.exchange_models import (
    CATEGORIES,
    DELIVERED,
    FINISHED,
    RETURNED,
    SIGNED,
    IncomingRecord,
)
from services.gongwen.models import DocumentFile, GongwenDocument
from services.notify.inapp import send_in_app
from services.numbering import service as numbering
from services.org import directory
from services.org.models import User
from services.org.roles import REGISTRAR

# Files of the 发文 that travel with it: the sealed 正本 and its attachments.
TRAVELLING_KINDS = ("sealed_pdf", "attachment")
# A deadline ends at 18:00 Beijing time; the reminder comes at 18:00 on the working day before.
DEADLINE_HOUR = 18
MAX_REASON = 500
FORBIDDEN = "您无权查看该收文。"


# ------------------------------------------------------------------------------ 收到


def receiving_unit(distribution_id: int) -> int:
    """The platform unit a 分发 row delivers to (NotFound for mail or unknown rows)."""
    row = db.session.get(Distribution, distribution_id)
    if row is None or row.unit_id is None:
        raise NotFound("分发记录不存在或不是平台内单位")
    return row.unit_id


def registrar_for(unit_id: int) -> User:
    """Who holds a unit's 收文箱: its first 收发员, else its 办公室主任."""
    people: list[User | None] = [*directory.role_members(REGISTRAR, unit_id)]
    people = people or [directory.office_director(unit_id)]
    found = [user for user in people if user is not None and user.active]
    if not found:
        raise NotFound("该单位没有收发员，也没有办公室主任，无法接收公文")
    return found[0]


def record_for_distribution(distribution_id: int) -> IncomingRecord | None:
    """The 收文 already filed for a 分发 row, if any."""
    return db.session.scalars(
        select(IncomingRecord).where(IncomingRecord.distribution_id == distribution_id)
    ).first()


def receive(payload: dict[str, Any], *, instance_id: int, registrar_id: int) -> IncomingRecord:
    """File the delivered copy in the recipient's 收文箱 (status 已送达).

    ``payload`` is what 分发 sends (``document_id``, ``distribution_id`` …). Refuses a second
    收文 for the same 分发 row with :class:`Conflict`.
    """
    distribution = _distribution(payload)
    if record_for_distribution(distribution.id) is not None:
        raise Conflict("该公文已经送达本单位，不能重复接收", distribution_id=distribution.id)
    source = documents.get_document(distribution.document_id)
    copy = documents.create_document(
        direction="in",
        unit_id=receiving_unit(distribution.id),
        doc_type=source.doc_type,
        title=source.title,
        drafter_id=registrar_id,
        secrecy=source.secrecy,
        urgency=source.urgency,
        copies=source.copies,
        doc_number=source.doc_number,
        instance_id=instance_id,
        status="received",
    )
    _copy_files(source.id, copy.id)
    record = IncomingRecord(
        document_id=copy.id,
        unit_id=copy.unit_id,
        source_document_id=source.id,
        distribution_id=distribution.id,
        instance_id=instance_id,
        status=DELIVERED,
        delivered_at=clock.now(),
        from_unit=source.unit.name,
        from_doc_number=source.doc_number or "",
        category=default_category(source),
    )
    copied = distribution.kind == "抄送"
    record.receipt_class = receipt_classes.default_class(record.category, copied=copied)
    db.session.add(record)
    db.session.flush()
    return record


def _distribution(payload: dict[str, Any]) -> Distribution:
    row = db.session.get(Distribution, payload.get("distribution_id") or 0)
    if row is None or row.document_id != payload.get("document_id") or row.unit_id is None:
        raise ValidationFailed(
            "来文信息有误：分发记录与公文不符", errors={"payload": "分发记录不符"}
        )
    return row


def _copy_files(source_id: int, target_id: int) -> None:
    rows = db.session.scalars(
        select(DocumentFile)
        .where(DocumentFile.document_id == source_id, DocumentFile.kind.in_(TRAVELLING_KINDS))
        .order_by(DocumentFile.id)
    )
    for row in rows:
        db.session.add(
            DocumentFile(
                document_id=target_id,
                kind=row.kind,
                filename=row.filename,
                content=row.content,
                sha256=hashlib.sha256(row.content).hexdigest(),
                size=row.size,
                created_at=clock.now(),
                created_by_id=None,
            )
        )


def default_category(document: GongwenDocument) -> str:
    """The category a 收文 is registered under unless the registrar changes it."""
    if document.secrecy:
        return "密件"
    return {"报告": "报告", "请示": "请示", "函": "函件"}.get(document.doc_type, "普发件")


def default_deadline(urgency: str, received: date) -> date:
    """办理期限 by 紧急程度 when the registrar gives none, in working days (工作日历)."""
    return deadlines.incoming_deadline(urgency, received)


# ----------------------------------------------------------------------- 签收、登记、退文、办结


def get_record(record_id: int) -> IncomingRecord:
    """One 收文 record, or NotFound."""
    record = db.session.get(IncomingRecord, record_id)
    if record is None:
        raise NotFound("收文不存在", record_id=record_id)
    return record


def record_for_instance(instance_id: int) -> IncomingRecord | None:
    """The 收文 handled by a 收文 process instance."""
    return db.session.scalars(
        select(IncomingRecord).where(IncomingRecord.instance_id == instance_id)
    ).first()


def mark_signed(record_id: int, user_id: int) -> IncomingRecord:
    """签收: the unit has taken the document in; the sender sees who and when."""
    record = _in_status(record_id, (DELIVERED,), "只有已送达的公文可以签收")
    record.status, record.signed_at, record.signed_by_id = SIGNED, clock.now(), user_id
    _report(record, SIGNED)
    intake_callbacks.queue_status(record, "signed")
    return record


def register(record_id: int, fields: dict[str, Any], *, actor_id: int) -> IncomingRecord:
    """登记: check and store the 登记 fields; the first 登记 takes the next 收文号 of the year."""
    record = _in_status(record_id, (SIGNED,), "请先签收再登记")
    values = _register_values(record, fields)
    names = ("from_unit", "from_doc_number", "category", "receipt_class", "received_date")
    for name in (*names, "deadline"):
        setattr(record, name, values[name])
    record.need_reply = bool(fields.get("need_reply"))
    document_fields: dict[str, Any] = {
        k: fields[k] for k in ("title", "secrecy", "urgency", "copies") if k in fields
    }
    documents.update_fields(record.document_id, document_fields, actor_id=actor_id)
    if record.receipt_number is None:
        year = values["received_date"].year
        ref = f"shouwen:{record.id}"
        record.receipt_number = numbering.reserve_receipt(
            record.unit_id, year, receipt_class=record.receipt_class, ref=ref
        )
    db.session.flush()
    return record


def _register_values(record: IncomingRecord, fields: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, str] = {}
    category = fields.get("category") or record.category
    if category not in CATEGORIES:
        errors["category"] = "类别应为普发件、报告、请示、函件、其他或密件"
    receipt_class = str(fields.get("receipt_class") or record.receipt_class or "")
    receipt_class = receipt_class or receipt_classes.default_class(str(category))
    if message := receipt_classes.class_error(receipt_class):
        errors["receipt_class"] = message
    received = _date(fields.get("received_date"), "received_date", errors) or _today()
    deadline = _date(fields.get("deadline"), "deadline", errors)
    if deadline is not None and deadline < received:
        errors["deadline"] = "办理期限不能早于收文日期"
    from_unit = str(fields.get("from_unit") or record.from_unit).strip()
    if not from_unit:
        errors["from_unit"] = "请填写来文单位"
    if errors:
        raise ValidationFailed("收文登记信息有误", errors=errors)
    urgency = str(fields.get("urgency") or record.document.urgency)
    return {
        "from_unit": from_unit[:100],
        "from_doc_number": str(fields.get("from_doc_number") or record.from_doc_number)[:60],
        "category": category,
        "receipt_class": receipt_class,
        "received_date": received,
        "deadline": deadline or default_deadline(urgency, received),
    }


def _date(value: Any, field: str, errors: dict[str, str]) -> date | None:
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        errors[field] = "日期格式应为 YYYY-MM-DD"
        return None


def _today() -> date:
    return documents.beijing_today()


def deadline_times(record: IncomingRecord) -> dict[str, str]:
    """When to remind (the working day before) and when the 办理期限 expires, ISO strings."""
    day = record.deadline or default_deadline(record.document.urgency, _today())
    expire = datetime.combine(day, time(DEADLINE_HOUR), tzinfo=documents.BEIJING)
    remind = datetime.combine(deadlines.remind_day(day), time(DEADLINE_HOUR), documents.BEIJING)
    return {"remind": remind.isoformat(), "expire": expire.isoformat()}


def return_to_sender(record_id: int, reason: str, *, actor_id: int) -> IncomingRecord:
    """退文: send the document back with the reason; the sender's office is told at once."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("请填写退文理由", errors={"return_reason": "请填写退文理由"})
    if len(reason) > MAX_REASON:
        raise ValidationFailed("退文理由过长", errors={"return_reason": "不能超过 500 个字符"})
    record = _in_status(record_id, (DELIVERED, SIGNED), "该收文已办理，不能退文")
    record.status, record.returned_at = RETURNED, clock.now()
    record.returned_by_id, record.return_reason = actor_id, reason
    _report(record, RETURNED)
    intake_callbacks.queue_status(record, "returned")
    _tell_sender(
        record, f"退文：{record.document.title}", f"{record.unit.name}退文，理由：{reason}"
    )
    return record


def finish(record_id: int, result: str, reply: str, *, actor_id: int) -> IncomingRecord:
    """办结: record the result; when a 答复 is required it is sent to the sender."""
    result, reply = (result or "").strip(), (reply or "").strip()
    if not result:
        raise ValidationFailed("请填写办理结果", errors={"result": "请填写办理结果"})
    record = _in_status(record_id, (SIGNED,), "该收文不在办理中")
    if record.need_reply and not reply:
        raise ValidationFailed("该来文需要答复，请填写答复内容", errors={"reply": "请填写答复"})
    record.status, record.finished_at = FINISHED, clock.now()
    record.finished_by_id, record.result, record.reply = actor_id, result, reply
    _report(record, FINISHED)
    intake_callbacks.queue_status(record, "finished")
    if reply:
        _tell_sender(record, f"答复：{record.document.title}", f"{record.unit.name}答复：{reply}")
    return record


def mark_archived(record_id: int) -> IncomingRecord:
    """归档 of a finished 收文: the record is closed for the 收文箱."""
    record = _in_status(record_id, (FINISHED,), "只有已办结的收文可以归档")
    record.archived_at = clock.now()
    record.document.status = "archived"
    return record


def _in_status(record_id: int, allowed: tuple[str, ...], message: str) -> IncomingRecord:
    record = get_record(record_id)
    if record.status not in allowed:
        raise Conflict(message, record_id=record_id, status=record.status)
    return record


def _report(record: IncomingRecord, status: str) -> None:
    """Mirror the status on the sender's 分发 row."""
    row = db.session.get(Distribution, record.distribution_id or 0)
    if row is not None:
        row.status = status
    db.session.flush()


def _tell_sender(record: IncomingRecord, title: str, body: str) -> None:
    source = db.session.get(GongwenDocument, record.source_document_id or 0)
    if source is None:
        return
    people = [source.drafter_id, *(u.id for u in directory.role_members(REGISTRAR, source.unit_id))]
    send_in_app(people, "shouwen", title[:200], body)


# ------------------------------------------------------------------------------ 查询


def may_use_inbox(user: User, unit_id: int) -> bool:
    """The unit's 收发员, 办公室主任 and leaders hold its 收文箱."""
    keepers = {u.id for u in directory.role_members(REGISTRAR, unit_id)}
    director = directory.office_director(unit_id)
    keepers |= {director.id} if director else set()
    keepers |= {u.id for u in directory.unit_leaders(unit_id)}
    return user.id in keepers


def inbox(unit_id: int, status: str | None = None) -> list[IncomingRecord]:
    """The unit's 收文箱, newest first; ``status`` one of 已送达/已签收/已退文/已办结."""
    query = select(IncomingRecord).where(IncomingRecord.unit_id == unit_id)
    if status:
        query = query.where(IncomingRecord.status == status)
    return list(db.session.scalars(query.order_by(IncomingRecord.id.desc())))


def visible_record(record_id: int, user: User) -> IncomingRecord:
    """A record of a 收文箱 ``user`` holds; Forbidden (also for unknown ids) otherwise."""
    record = db.session.get(IncomingRecord, record_id)
    if record is None or not may_use_inbox(user, record.unit_id):
        raise Forbidden(FORBIDDEN, record_id=record_id)
    return record


def is_overdue(record: IncomingRecord, today: date | None = None) -> bool:
    """逾期: past its 办理期限 and not yet 办结 or 退文."""
    if record.deadline is None or record.status in (FINISHED, RETURNED):
        return False
    return record.deadline < (today or _today())


@dataclass(frozen=True)
class RecipientStatus:
    """One recipient of a 发文 as the sender sees it."""

    name: str
    kind: str
    status: str
    delivered_at: datetime | None
    signed_by: str
    signed_at: datetime | None
    returned_by: str
    returned_at: datetime | None
    return_reason: str
    finished_at: datetime | None
    reply: str


def recipient_statuses(source_document_id: int) -> list[RecipientStatus]:
    """Per recipient of the 发文: delivered / signed (who, when) / returned (who, when, why) /
    finished."""
    rows = db.session.execute(
        select(Distribution, IncomingRecord)
        .outerjoin(IncomingRecord, IncomingRecord.distribution_id == Distribution.id)
        .where(Distribution.document_id == source_document_id)
        .order_by(Distribution.id)
    )
    return [_status(row, record) for row, record in rows]


def _status(row: Distribution, record: IncomingRecord | None) -> RecipientStatus:
    signer = db.session.get(User, record.signed_by_id) if record and record.signed_by_id else None
    returner = (
        db.session.get(User, record.returned_by_id) if record and record.returned_by_id else None
    )
    return RecipientStatus(
        name=row.recipient_name,
        kind=row.kind,
        status=record.status if record else row.status,
        delivered_at=row.delivered_at,
        signed_by=signer.name if signer else "",
        signed_at=record.signed_at if record else None,
        returned_by=returner.name if returner else "",
        returned_at=record.returned_at if record else None,
        return_reason=record.return_reason if record else "",
        finished_at=record.finished_at if record else None,
        reply=record.reply if record else "",
    )
