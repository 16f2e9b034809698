"""分发: record who receives an issued 发文 — platform units by 收文箱, the others by mail.

A recipient with a ``unit_id`` is a unit of the platform: its row is 已送达 at once (the engine
adapter then sends it the ``gongwen.received`` message that starts its 收文). A recipient named
only by text is outside the platform: its row is 待寄送 and it appears on the mailing list.
A unit listed both as 主送 and 抄送 is recorded once, as 主送.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from services import clock
from services.db import db
from services.errors import Conflict, ValidationFailed
from services.gongwen.distribution_models import DELIVERED, TO_MAIL, Distribution
from services.gongwen.documents import check_ready
from services.gongwen.models import GongwenDocument

# Statuses from which a 发文 may be distributed (signed and numbered).
DISTRIBUTABLE = ("signed", "registered")


@dataclass(frozen=True)
class Recipient:
    """One recipient to deliver to: a platform unit (``unit_id``) or an outside name."""

    name: str
    kind: str
    unit_id: int | None


def recipients(document: GongwenDocument) -> list[Recipient]:
    """主送 then 抄送, each name once (a unit both 主送 and 抄送 counts as 主送)."""
    found: dict[str, Recipient] = {}
    for kind, entries in (("主送", document.main_recipients), ("抄送", document.copy_recipients)):
        for entry in entries or []:
            found.setdefault(entry["name"], Recipient(entry["name"], kind, entry.get("unit_id")))
    return list(found.values())


def distribute(document: GongwenDocument, *, actor_id: int | None) -> list[Distribution]:
    """Write one :class:`Distribution` per recipient and mark the document 已分发 (issued).

    Refuses a document that is not yet numbered or was already distributed.
    """
    if document.status not in DISTRIBUTABLE or not document.doc_number:
        raise ValidationFailed(
            "公文尚未签发登记，不能分发", errors={"status": "请先完成签发和登记编号"}
        )
    if distributions(document.id):
        raise Conflict("该公文已经分发，不能重复分发", document_id=document.id)
    targets = recipients(document)
    if not targets:
        raise ValidationFailed(
            "没有主送或抄送机关，无法分发", errors={"main_recipients": "请填写主送机关"}
        )
    check_ready(document, "issued")
    now = clock.now()
    rows = [_row(document.id, target, now, actor_id) for target in targets]
    db.session.add_all(rows)
    document.status = "issued"
    document.updated_at, document.updated_by_id = now, actor_id
    db.session.flush()
    return rows


def _row(document_id: int, target: Recipient, now: Any, actor_id: int | None) -> Distribution:
    internal = target.unit_id is not None
    return Distribution(
        document_id=document_id,
        unit_id=target.unit_id,
        recipient_name=target.name,
        kind=target.kind,
        status=DELIVERED if internal else TO_MAIL,
        delivered_at=now if internal else None,
        created_at=now,
        created_by_id=actor_id,
    )


def distributions(document_id: int) -> list[Distribution]:
    """The recipients of a document, in the order they were recorded."""
    return list(
        db.session.scalars(
            select(Distribution)
            .where(Distribution.document_id == document_id)
            .order_by(Distribution.id)
        )
    )


def mailing_list(document_id: int) -> list[Distribution]:
    """Recipients outside the platform: the list printed for the mail room."""
    return [row for row in distributions(document_id) if row.status == TO_MAIL]
