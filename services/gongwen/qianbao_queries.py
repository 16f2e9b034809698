"""Queries behind the 签报管理 list: a unit's 签报 (direction ``internal``) in the user's scope,
filtered and sorted. The data-scope rules and the page shape are the 发文 list's
(:mod:`services.gongwen.queries`, :mod:`services.gongwen.query_filters`); only the document
kind and the filters differ.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select

from services.gongwen import queries
from services.gongwen import query_filters as qf
from services.gongwen.models import URGENCY_LABELS, GongwenDocument

INTERNAL = "internal"
FORBIDDEN = "您无权查看该签报。"
# 签报 life cycle: 审批中 while in the process, 已批示 after the leader, 已归档 at the end.
STATUSES = ("draft", "reviewing", "signed", "archived", "void")
SORTS = ("drafted", "title", "urgency", "status", "updated")


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
    qf.check_range("drafted_to", filters.drafted_from, filters.drafted_to, errors)
    choices = [
        ("status", filters.status, STATUSES, "状态不正确"),
        ("urgency", filters.urgency, URGENCY_LABELS, "紧急程度不正确"),
        ("sort", filters.sort, SORTS, "不支持的排序方式"),
    ]
    qf.check_choices(choices, "筛选条件有误", errors)


def unit_instance_ids(unit_id: int) -> list[int]:
    """The engine instances handling the unit's 签报, for the participation lookup."""
    return queries.unit_instance_ids(unit_id, direction=INTERNAL)


def _in_scope(scope: queries.Scope) -> ColumnElement[bool]:
    # Authors of 正文 versions do not take part in a 签报 by that alone.
    return queries.in_scope(scope, authors=False)


def _conditions(filters: QianbaoFilters) -> list[ColumnElement[bool]]:
    doc = GongwenDocument
    found = qf.equal_to(((doc.status, filters.status), (doc.urgency, filters.urgency)))
    found += qf.keyword_in(filters.keyword, doc.title, doc.keywords)
    found += qf.within_days(doc.created_at, filters.drafted_from, filters.drafted_to)
    return found


def _sort_column(sort: str) -> Any:
    doc = GongwenDocument
    columns = {
        "drafted": doc.created_at,
        "updated": doc.updated_at,
        "title": doc.title,
        "urgency": qf.rank(doc.urgency, URGENCY_LABELS),
        "status": qf.rank(doc.status, STATUSES),
    }
    return columns[sort]


def qianbao_select(scope: queries.Scope, filters: QianbaoFilters) -> Select[Any]:
    """The scope's 签报 matching ``filters``, in the filters' order (newest id breaks ties)."""
    doc = GongwenDocument
    conditions = (doc.direction == INTERNAL, _in_scope(scope), *_conditions(filters))
    column = _sort_column(filters.sort)
    return qf.sorted_select(doc, conditions, column, doc.id, descending=filters.descending)


def list_qianbao(
    scope: queries.Scope, filters: QianbaoFilters, *, page: int = 1, per_page: int = 20
) -> qf.Page[GongwenDocument]:
    """A page of the 签报 list."""
    check_filters(filters)
    return qf.paged(qianbao_select(scope, filters), page, per_page)


def visible_qianbao(document_id: int, scope: queries.Scope) -> GongwenDocument:
    """The 签报 if it is in ``scope``; the same Forbidden for unknown ids and other units'."""
    return queries.visible_of(document_id, INTERNAL, _in_scope(scope), FORBIDDEN)


def drafter_names(documents: Collection[GongwenDocument]) -> dict[int, str]:
    """Display names of the drafters of ``documents``."""
    return queries.user_names([d.drafter_id for d in documents])
