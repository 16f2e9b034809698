"""公文监控: the 发文, 收文 and 签报 within a supervisor's data scope (本人/本部门/本单位及下属/
全部).

The scope is built by the caller from the viewer's position (engine participation included, as
for the 发文, 收文 and 签报 lists); this module turns it into the matching documents. Where each one
waits is engine state and is added by the caller.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, select, true

from services.db import db
from services.errors import ValidationFailed
from services.gongwen import exchange_models, queries
from services.gongwen import incoming_queries as iq
from services.gongwen import qianbao_queries as qb
from services.gongwen.exchange_models import IncomingRecord
from services.gongwen.models import STATUSES, GongwenDocument
from services.org.models import User

DIRECTIONS = {"out": "发文", "in": "收文", qb.INTERNAL: "签报"}


@dataclass(frozen=True)
class MonitorScope:
    """The viewer's 发文 and 签报 scopes (with their wider ``below``/``everywhere``) and 收文
    scope."""

    outgoing: queries.Scope
    incoming: iq.IncomingScope
    internal: queries.Scope


@dataclass(frozen=True)
class MonitorFilters:
    """``direction`` out/in/internal (发文/收文/签报); ``status`` a 发文 or 签报 status code or a
    收文 status word."""

    direction: str | None = None
    status: str | None = None
    overdue: bool = False


@dataclass(frozen=True)
class MonitorKey:
    """What ordering and tracking need of one listed document (``id`` is the document's)."""

    id: int
    direction: str
    instance_id: int | None
    urgency: str
    deadline: date | None = None
    finished: bool = False


def check_filters(filters: MonitorFilters) -> None:
    """Raise :class:`ValidationFailed` (Chinese, per field) for values outside the choices."""
    errors: dict[str, str] = {}
    if filters.direction and filters.direction not in DIRECTIONS:
        errors["direction"] = "类型不正确"
    if filters.status and filters.status not in (*STATUSES, *exchange_models.STATUSES):
        errors["status"] = "状态不正确"
    if errors:
        raise ValidationFailed("筛选条件有误", errors=errors)


def department_member_ids(department_id: int) -> list[int]:
    """Active members of a department, whose 收文 participation a 部门负责人 sees."""
    stmt = select(User.id).where(User.department_id == department_id, User.active.is_(True))
    return list(db.session.scalars(stmt))


def _incoming_in_scope(scope: MonitorScope) -> ColumnElement[bool]:
    wide = scope.outgoing
    if wide.everywhere:
        return true()
    if wide.whole_unit:
        return queries.units_condition(IncomingRecord.unit_id, wide.unit_id, wide.below)
    return iq._in_scope(scope.incoming)


def _wanted(filters: MonitorFilters, direction: str, statuses: Collection[str]) -> bool:
    if filters.direction and filters.direction != direction:
        return False
    return not filters.status or filters.status in statuses


def _outgoing_keys(scope: MonitorScope, filters: MonitorFilters) -> list[MonitorKey]:
    chosen = queries.OutgoingFilters(status=filters.status)
    stmt = queries.outgoing_select(scope.outgoing, chosen).with_only_columns(
        GongwenDocument.id, GongwenDocument.instance_id, GongwenDocument.urgency
    )
    return [MonitorKey(d, "out", i, u) for d, i, u in db.session.execute(stmt)]


def _internal_keys(scope: MonitorScope, filters: MonitorFilters) -> list[MonitorKey]:
    chosen = qb.QianbaoFilters(status=filters.status)
    stmt = qb.qianbao_select(scope.internal, chosen).with_only_columns(
        GongwenDocument.id, GongwenDocument.instance_id, GongwenDocument.urgency
    )
    return [MonitorKey(d, qb.INTERNAL, i, u) for d, i, u in db.session.execute(stmt)]


def _incoming_keys(scope: MonitorScope, filters: MonitorFilters) -> list[MonitorKey]:
    record = IncomingRecord
    stmt = (
        select(record.document_id, record.instance_id, GongwenDocument.urgency)
        .add_columns(record.deadline, record.status)
        .join(GongwenDocument, GongwenDocument.id == record.document_id)
        .where(_incoming_in_scope(scope))
        .order_by(record.id.desc())
    )
    if filters.status:
        stmt = stmt.where(record.status == filters.status)
    return [
        MonitorKey(d, "in", i, u, deadline, status == exchange_models.FINISHED)
        for d, i, u, deadline, status in db.session.execute(stmt)
    ]


def monitor_keys(scope: MonitorScope, filters: MonitorFilters) -> list[MonitorKey]:
    """Every 发文, 收文 and 签报 in ``scope`` matching ``filters`` (before the overdue filter,
    which needs where each one waits); by kind, newest first."""
    check_filters(filters)
    found: list[MonitorKey] = []
    if _wanted(filters, "out", STATUSES):
        found += _outgoing_keys(scope, filters)
    if _wanted(filters, "in", exchange_models.STATUSES):
        found += _incoming_keys(scope, filters)
    if _wanted(filters, qb.INTERNAL, qb.STATUSES):
        found += _internal_keys(scope, filters)
    return found


def incoming_by_document(document_ids: Collection[int]) -> dict[int, IncomingRecord]:
    """The 收文 records of these 收文 documents, by document id."""
    if not document_ids:
        return {}
    stmt = select(IncomingRecord).where(IncomingRecord.document_id.in_(sorted(document_ids)))
    return {r.document_id: r for r in db.session.scalars(stmt)}
