"""Queries behind the 签报管理 list: a unit's 签报 (direction ``internal``) in the user's scope,
filtered and sorted. The data-scope rules and the page shape are the 发文 list's
(:mod:`services.gongwen.queries`, :mod:`services.gongwen.query_filters`); only the document
kind and the filters differ.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, or_, select, true

from services.db import db
from services.errors import Forbidden
from services.gongwen import queries
from services.gongwen.models import URGENCY_LABELS, GongwenDocument
from services.gongwen.query_filters import Page, check_choices, contains, day_start, paged, rank

INTERNAL = "internal"
FORBIDDEN = "您无权查看该签报。"
# 签报 life cycle: 审批中 while in the process, 已批示 after the leader, 已归档 at the end.
STATUSES = ("draft", "reviewing", "signed", "archived", "void")
SORTS = ("drafted", "title", "urgency", "status", "updated")
_URGENCY_RANK = {key: rank for rank, key in enumerate(URGENCY_LABELS)}
_STATUS_RANK = {status: rank for rank, status in enumerate(STATUSES)}


@dataclass(frozen=True)
class QianbaoFilters:
    """Narrowing and order of the 签报 list; dates are inclusive Beijing dates of 拟稿."""

    status: str | None = None
    urgency: str | None = None
    keyword: str | None = None
    drafted_from: date | None = None
    drafted_to: date | None = None
    sort: str = "drafted"
    descending: bool = True


def check_filters(filters: QianbaoFilters) -> None:
    """ValidationFailed (Chinese, per field) for values outside the choices."""
    errors: dict[str, str] = {}
    if filters.drafted_from and filters.drafted_to and filters.drafted_from > filters.drafted_to:
        errors["drafted_to"] = "结束日期不能早于开始日期"
    choices = [
        ("status", filters.status, STATUSES, "状态不正确"),
        ("urgency", filters.urgency, URGENCY_LABELS, "紧急程度不正确"),
        ("sort", filters.sort, SORTS, "不支持的排序方式"),
    ]
    check_choices(choices, "筛选条件有误", errors)


def unit_instance_ids(unit_id: int) -> list[int]:
    """The engine instances handling the unit's 签报, for the participation lookup."""
    stmt = select(GongwenDocument.instance_id).where(
        GongwenDocument.unit_id == unit_id,
        GongwenDocument.direction == INTERNAL,
        GongwenDocument.instance_id.is_not(None),
    )
    return [i for i in db.session.scalars(stmt) if i is not None]


def _in_scope(scope: queries.Scope) -> ColumnElement[bool]:
    if scope.everywhere:
        return true()
    doc = GongwenDocument
    units = queries.units_condition(doc.unit_id, scope.unit_id, scope.below)
    if scope.whole_unit:
        return units
    taken_part = [doc.drafter_id == scope.user_id, doc.signer_id == scope.user_id]
    if scope.instance_ids:
        taken_part.append(doc.instance_id.in_(sorted(scope.instance_ids)))
    if scope.department_id is not None:
        taken_part.append(doc.drafting_department_id == scope.department_id)
    return and_(units, or_(*taken_part))


def _conditions(filters: QianbaoFilters) -> list[ColumnElement[bool]]:
    doc = GongwenDocument
    found: list[ColumnElement[bool]] = []
    if filters.status:
        found.append(doc.status == filters.status)
    if filters.urgency:
        found.append(doc.urgency == filters.urgency)
    if filters.keyword and filters.keyword.strip():
        text = filters.keyword.strip()
        found.append(or_(contains(doc.title, text), contains(doc.keywords, text)))
    if filters.drafted_from:
        found.append(doc.created_at >= day_start(filters.drafted_from))
    if filters.drafted_to:
        found.append(doc.created_at < day_start(filters.drafted_to + timedelta(days=1)))
    return found


def _order(filters: QianbaoFilters) -> list[Any]:
    doc = GongwenDocument
    columns = {
        "drafted": doc.created_at,
        "updated": doc.updated_at,
        "title": doc.title,
        "urgency": rank(doc.urgency, _URGENCY_RANK),
        "status": rank(doc.status, _STATUS_RANK),
    }
    column = columns[filters.sort]
    tie = doc.id.desc() if filters.descending else doc.id.asc()
    return [column.desc() if filters.descending else column.asc(), tie]


def qianbao_select(scope: queries.Scope, filters: QianbaoFilters) -> Select[Any]:
    """The scope's 签报 matching ``filters``, in the filters' order."""
    return (
        select(GongwenDocument)
        .where(GongwenDocument.direction == INTERNAL, _in_scope(scope), *_conditions(filters))
        .order_by(*_order(filters))
    )


def list_qianbao(
    scope: queries.Scope, filters: QianbaoFilters, *, page: int = 1, per_page: int = 20
) -> Page[GongwenDocument]:
    """A page of the 签报 list."""
    check_filters(filters)
    return paged(qianbao_select(scope, filters), page, per_page)


def visible_qianbao(document_id: int, scope: queries.Scope) -> GongwenDocument:
    """The 签报 if it is in ``scope``; the same Forbidden for unknown ids and other units'."""
    stmt = select(GongwenDocument).where(
        GongwenDocument.id == document_id, GongwenDocument.direction == INTERNAL, _in_scope(scope)
    )
    document = db.session.scalars(stmt).first()
    if document is None:
        raise Forbidden(FORBIDDEN, document_id=document_id)
    return document


def drafter_names(documents: Collection[GongwenDocument]) -> dict[int, str]:
    """Display names of the drafters of ``documents``."""
    return queries.user_names([d.drafter_id for d in documents])
