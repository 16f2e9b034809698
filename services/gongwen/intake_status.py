"""What an external sender may learn about a package it pushed: the 收文's status and its steps.

The same answer serves both return channels: the signed status query
(``GET /api/v1/intake/packages/<回执编号或来文文号>``) and the body of each callback event
(:mod:`services.gongwen.intake_callbacks`). It names the acting unit, the actor's role and the
name a platform sender sees on its 发文 page; nothing else about people (no account, phone or
e-mail). 办理结果 stays internal: only the 答复 meant for the sender is given.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, select

from services import clock
from services.db import db
from services.errors import NotFound
from services.gongwen.exchange_models import IncomingRecord
from services.gongwen.intake_models import IntakeReceipt
from services.org.models import User
from services.org.roles import REGISTRAR

NOT_FOUND = "没有找到该数据包（回执编号或来文文号不对，或不是本发送方报送的）"
MAX_REFERENCE = 60


def find_receipt(sender: str, reference: str) -> IntakeReceipt:
    """The receipt of ``sender``'s package by receipt id or 来文文号; NotFound otherwise
    (also for another sender's package, so that ids cannot be probed)."""
    text = reference.strip()
    if not text or len(text) > MAX_REFERENCE:
        raise NotFound(NOT_FOUND)
    found = None
    if text.isascii() and text.isdigit() and len(text) <= 12:
        found = _receipt(sender, IntakeReceipt.id == int(text))
    found = found or _receipt(sender, IntakeReceipt.doc_number == text)
    if found is None:
        raise NotFound(NOT_FOUND)
    return found


def _receipt(sender: str, match: ColumnElement[bool]) -> IntakeReceipt | None:
    query = select(IntakeReceipt).where(IntakeReceipt.sender == sender, match)
    return db.session.scalars(query).first()


def status_json(receipt: IntakeReceipt) -> dict[str, Any]:
    """The package as its sender sees it: status, 收文号 and each step taken so far."""
    record = receipt.record
    return {
        "id": receipt.id,
        "record_id": record.id,
        "doc_number": receipt.doc_number,
        "recipient_unit": record.unit.code,
        "recipient_unit_name": record.unit.name,
        "status": record.status,
        "received_at": _iso(receipt.received_at),
        "receipt_number": record.receipt_number,
        "signed": _step(record, record.signed_at, record.signed_by_id),
        "returned": _returned(record),
        "finished": _finished(record),
    }


def _step(
    record: IncomingRecord, at: datetime | None, user_id: int | None
) -> dict[str, Any] | None:
    if at is None:
        return None
    return {"at": _iso(at), "by": actor(record, user_id)}


def _returned(record: IncomingRecord) -> dict[str, Any] | None:
    step = _step(record, record.returned_at, record.returned_by_id)
    if step is not None:
        step["reason"] = record.return_reason
    return step


def _finished(record: IncomingRecord) -> dict[str, Any] | None:
    step = _step(record, record.finished_at, record.finished_by_id)
    if step is not None:
        step["reply"] = record.reply
    return step


def actor(record: IncomingRecord, user_id: int | None) -> dict[str, str]:
    """Who acted, as far as a sender may know: the unit, the role and the name."""
    user = db.session.get(User, user_id) if user_id else None
    if user is None:
        return {"unit": record.unit.name, "role": "", "name": ""}
    return {"unit": user.unit.name, "role": _role_name(user), "name": user.name}


def _role_name(user: User) -> str:
    for held in user.roles:
        if held.role_code == REGISTRAR and held.unit_id in (None, user.unit_id):
            return held.role.name
    return user.position.name


def _iso(value: datetime) -> str:
    return clock.as_utc(value).isoformat()
