"""Create, read and edit the 公文 record, and turn it into the red-header renderer's model.

Field values are checked one by one (each error names its field, in Chinese); the rules that
only hold at a stage of the process (a 请示 has one 主送 and a 签发人 before it is signed) are
checked when the status moves to that stage, or on demand with :func:`check_ready`.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import select

from services import clock
from services.db import db
from services.documents.model import OfficialDocument
from services.errors import NotFound, ValidationFailed
from services.gongwen import fields as checks
from services.gongwen import versions
from services.gongwen.models import DIRECTIONS, URGENCY_LABELS, BodyVersion, GongwenDocument
from services.org.models import Unit, User

BEIJING = timezone(timedelta(hours=8), "Asia/Shanghai")
# Statuses at and after which the sign-off rules must hold.
SIGNED_STATUSES = ("signed", "registered", "issued", "archived")
# 上行文 need a 签发人 (条例 第九条); a 请示 is addressed to exactly one 主送机关.
UPWARD_TYPES = ("请示", "报告")


def create_document(
    *,
    direction: str,
    unit_id: int,
    doc_type: str,
    title: str,
    drafter_id: int,
    **fields: Any,
) -> GongwenDocument:
    """A new record in status ``draft``; ``fields`` are any editable fields (see
    :data:`services.gongwen.fields.EDITABLE`), checked as :func:`update_fields` does."""
    errors: dict[str, str] = {}
    if direction not in DIRECTIONS:
        errors["direction"] = "公文方向应为发文、收文或签报"
    if db.session.get(Unit, unit_id) is None:
        errors["unit_id"] = "单位不存在"
    if db.session.get(User, drafter_id) is None:
        errors["drafter_id"] = "拟稿人不存在"
    values = checks.clean({"doc_type": doc_type, "title": title, **fields}, errors)
    if errors:
        raise ValidationFailed("公文信息有误", errors=errors)
    now = clock.now()
    document = GongwenDocument(
        direction=direction,
        unit_id=unit_id,
        drafter_id=drafter_id,
        main_recipients=[],
        copy_recipients=[],
        attachments_note=[],
        created_at=now,
        updated_at=now,
        updated_by_id=drafter_id,
    )
    for name, value in values.items():
        setattr(document, name, value)
    _check_stage(document)
    db.session.add(document)
    db.session.flush()
    return document


def get_document(document_id: int) -> GongwenDocument:
    """The record with this id, or :class:`NotFound`."""
    document = db.session.get(GongwenDocument, document_id)
    if document is None:
        raise NotFound(f"公文（编号 {document_id}）不存在")
    return document


def document_for_instance(instance_id: int) -> GongwenDocument | None:
    """The record handled by engine instance ``instance_id``, if any."""
    return db.session.scalars(
        select(GongwenDocument).where(GongwenDocument.instance_id == instance_id)
    ).first()


def update_fields(document_id: int, fields: dict[str, Any], *, actor_id: int) -> GongwenDocument:
    """Set ``fields`` on the record after checking each; nothing changes when any is wrong.

    Moving ``status`` to a signed stage (or setting ``signed_at``) also checks the sign-off
    rules of :func:`check_ready`.
    """
    document = get_document(document_id)
    errors: dict[str, str] = {}
    values = checks.clean(fields, errors)
    if errors:
        raise ValidationFailed("公文信息有误", errors=errors)
    previous = {name: getattr(document, name) for name in values}
    for name, value in values.items():
        setattr(document, name, value)
    try:
        _check_stage(document)
    except ValidationFailed:
        for name, value in previous.items():
            setattr(document, name, value)
        raise
    document.updated_at = clock.now()
    document.updated_by_id = actor_id
    db.session.flush()
    return document


def check_ready(document: GongwenDocument, stage: str = "signed") -> None:
    """Raise :class:`ValidationFailed` unless ``document`` may enter ``stage``.

    ``signed``: a 请示 has exactly one 主送机关, 上行文 and every 发文 at sign-off have a 签发人.
    ``issued``: additionally a 发文字号 and a 成文日期.
    """
    errors: dict[str, str] = {}
    if document.doc_type == "请示" and len(document.main_recipients or []) != 1:
        errors["main_recipients"] = "请示应当一文一事，只能主送一个机关"
    if document.direction == "out" and document.signer_id is None:
        label = "上行文（请示、报告）" if document.doc_type in UPWARD_TYPES else "发文"
        errors["signer_id"] = f"{label}签发前必须确定签发人"
    if document.doc_type == "报告" and "请示" in (document.title or ""):
        errors["title"] = "报告中不得夹带请示事项"
    if stage == "issued":
        if not document.doc_number:
            errors["doc_number"] = "尚未登记发文字号"
        if document.issued_date is None:
            errors["issued_date"] = "尚未确定成文日期"
    if errors:
        raise ValidationFailed("公文尚不具备签发条件", errors=errors)


def _check_stage(document: GongwenDocument) -> None:
    if document.status in ("issued", "archived") and document.direction == "out":
        check_ready(document, "issued")
    elif document.direction != "in" and (
        document.status in SIGNED_STATUSES or document.signed_at is not None
    ):
        check_ready(document, "signed")


def to_render_model(
    document: GongwenDocument, body_version: BodyVersion | None = None
) -> OfficialDocument:
    """The :class:`OfficialDocument` the red-header renderer prints for ``document``.

    ``body_version`` defaults to the 定稿, else the newest version; no version gives an empty
    正文. The 成文日期 defaults to today (Beijing time) until one is recorded.
    """
    version = body_version or versions.final_version(document.id) or _latest(document.id)
    body = versions.body_paragraphs(version) if version is not None else []
    return OfficialDocument(
        kind=document.doc_type,
        issuers=[document.unit.name],
        number=document.doc_number or "",
        title=document.title,
        body=body,
        signed_on=document.issued_date or beijing_today(),
        recipients="、".join(r["name"] for r in document.main_recipients or []),
        secrecy=document.secrecy,
        secrecy_period=document.secrecy_term if document.secrecy else "",
        urgency=URGENCY_LABELS.get(document.urgency, ""),
        signers=[document.signer.name] if document.signer is not None else [],
        attachments=list(document.attachments_note or []),
        note=document.note,
        copy_to=[r["name"] for r in document.copy_recipients or []],
        printed_by=document.printing_unit,
        printed_on=document.printed_date,
    )


def beijing_today() -> date:
    """Today's date in Beijing, where 成文日期 and 印发日期 are counted."""
    return clock.now().astimezone(BEIJING).date()


def beijing_time(value: datetime) -> datetime:
    """``value`` (UTC) as Beijing local time, for printed times."""
    return clock.as_utc(value).astimezone(BEIJING)


def _latest(document_id: int) -> BodyVersion | None:
    found = versions.versions(document_id)
    return found[-1] if found else None
