"""Queries behind the 发文 pages: who may see which documents (data scope), the filtered and
sorted 发文列表, and the lookups the document page needs.

Where a document waits (当前环节, 办理人) is engine state: the caller asks the engine for it and
passes the instances the user took part in as :attr:`Scope.instance_ids`, so that this module
never reads engine tables.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, or_, select, true

from services.db import db
from services.errors import Forbidden, NotFound
from services.gongwen.models import (
    DOC_TYPES,
    IMPORTANCE_LEVELS,
    SECRECY_LEVELS,
    STATUSES,
    URGENCY_LABELS,
    BodyVersion,
    DocumentFile,
    GongwenDocument,
)
from services.gongwen.query_filters import (
    Choice,
    Page,
    check_choices,
    contains,
    day_start,
    ordering,
    paged,
    rank,
)
from services.org.models import User
from services.org.roles import REGISTRAR

FORBIDDEN = "您无权查看该公文。"
# Sort keys answered by SQL; the engine-side keys (step, holder, waiting) are sorted by the caller.
SQL_SORTS = (
    "doc_type",
    "doc_number",
    "title",
    "drafted",
    "issued",
    "secrecy",
    "importance",
    "urgency",
    "status",
)
ENGINE_SORTS = ("step", "holder", "waiting")
NO_SECRECY = "none"  # filter value for ordinary (非密) documents, whose stored secrecy is ""

_SECRECY_RANK = {level: rank for rank, level in enumerate(SECRECY_LEVELS)}
_URGENCY_RANK = {key: rank for rank, key in enumerate(URGENCY_LABELS)}
_IMPORTANCE_RANK = {key: rank for rank, key in enumerate(IMPORTANCE_LEVELS)}
_STATUS_RANK = {status: rank for rank, status in enumerate(STATUSES)}


@dataclass(frozen=True)
class Scope:
    """The 发文 a user may see: always within ``unit_id``; the whole unit for leaders and the
    office, the department's drafts for its heads, otherwise those the user takes part in."""

    user_id: int
    unit_id: int
    whole_unit: bool = False
    department_id: int | None = None
    # Engine instances (of this unit's documents) the user started or had a task in.
    instance_ids: frozenset[int] = field(default_factory=frozenset)
    # Wider supervision scopes (公文监控): units below ``unit_id``, or every unit.
    below: frozenset[int] = field(default_factory=frozenset)
    everywhere: bool = False


@dataclass(frozen=True)
class OutgoingFilters:
    """Narrowing and order of the 发文列表; date ranges are inclusive Beijing dates."""

    year: int | None = None
    doc_type: str | None = None
    status: str | None = None
    secrecy: str | None = None
    importance: str | None = None
    urgency: str | None = None
    keyword: str | None = None
    drafted_from: date | None = None
    drafted_to: date | None = None
    issued_from: date | None = None
    issued_to: date | None = None
    sort: str = "drafted"
    descending: bool = True


# One page of 发文 (kept under its old name for the pages).
DocumentPage = Page[GongwenDocument]


def check_filters(filters: OutgoingFilters) -> None:
    """Raise :class:`ValidationFailed` (Chinese, per field) for values outside the choices."""
    secrecy = (NO_SECRECY, *SECRECY_LEVELS[1:])
    choices: list[Choice] = [
        ("doc_type", filters.doc_type, DOC_TYPES, "不支持的文种"),
        ("status", filters.status, STATUSES, "状态不正确"),
        ("secrecy", filters.secrecy, secrecy, "密级不正确"),
        ("importance", filters.importance, IMPORTANCE_LEVELS, "重要程度不正确"),
        ("urgency", filters.urgency, URGENCY_LABELS, "紧急程度不正确"),
        ("sort", filters.sort, (*SQL_SORTS, *ENGINE_SORTS), "不支持的排序方式"),
    ]
    check_choices(choices, "筛选条件有误", {})


# ---------------------------------------------------------------- data scope


def whole_unit_scope(user: User) -> bool:
    """Unit leaders and the 办公室主任 (positions whose data scope is the unit or wider) and the
    unit's 收发员 see every 发文 of their unit."""
    if user.position is not None and user.position.data_scope in ("unit", "all"):
        return True
    return any(
        grant.role_code == REGISTRAR and grant.unit_id in (None, user.unit_id)
        for grant in user.roles
    )


def department_scope(user: User) -> int | None:
    """The department whose drafts a 部门负责人 (data scope ``department``) sees, if any."""
    if user.position is not None and user.position.data_scope == "department":
        return user.department_id
    return None


def unit_instance_ids(unit_id: int) -> list[int]:
    """The engine instances handling the unit's 发文, for the caller's participation lookup."""
    stmt = select(GongwenDocument.instance_id).where(
        GongwenDocument.unit_id == unit_id,
        GongwenDocument.direction == "out",
        GongwenDocument.instance_id.is_not(None),
    )
    return [i for i in db.session.scalars(stmt) if i is not None]


def _participant(scope: Scope) -> ColumnElement[bool]:
    authored = select(BodyVersion.document_id).where(BodyVersion.author_id == scope.user_id)
    taken_part = [
        GongwenDocument.drafter_id == scope.user_id,
        GongwenDocument.signer_id == scope.user_id,
        GongwenDocument.id.in_(authored),
    ]
    if scope.instance_ids:
        taken_part.append(GongwenDocument.instance_id.in_(sorted(scope.instance_ids)))
    if scope.department_id is not None:
        taken_part.append(GongwenDocument.drafting_department_id == scope.department_id)
    return or_(*taken_part)


def units_condition(column: Any, unit_id: int, below: Collection[int]) -> ColumnElement[bool]:
    """``column`` is ``unit_id`` or one of the units ``below`` it (本单位及下属)."""
    return column.in_(sorted({unit_id, *below})) if below else column == unit_id


def _in_scope(scope: Scope) -> ColumnElement[bool]:
    if scope.everywhere:
        return true()
    units = units_condition(GongwenDocument.unit_id, scope.unit_id, scope.below)
    return units if scope.whole_unit else and_(units, _participant(scope))


def visible_document(document_id: int, scope: Scope) -> GongwenDocument:
    """The 发文 if it is in ``scope``; the same :class:`Forbidden` for unknown ids."""
    stmt = select(GongwenDocument).where(
        GongwenDocument.id == document_id, GongwenDocument.direction == "out", _in_scope(scope)
    )
    document = db.session.scalars(stmt).first()
    if document is None:
        raise Forbidden(FORBIDDEN, document_id=document_id)
    return document


# ---------------------------------------------------------------- the list


def _conditions(filters: OutgoingFilters) -> list[ColumnElement[bool]]:
    doc = GongwenDocument
    found: list[ColumnElement[bool]] = []
    if filters.year:
        first, last = date(filters.year, 1, 1), date(filters.year, 12, 31)
        created = and_(
            doc.created_at >= day_start(first),
            doc.created_at < day_start(last + timedelta(days=1)),
        )
        found.append(
            or_(doc.issued_date.between(first, last), and_(doc.issued_date.is_(None), created))
        )
    for name in ("doc_type", "status", "importance", "urgency"):
        if value := getattr(filters, name):
            found.append(getattr(doc, name) == value)
    if filters.secrecy:
        found.append(doc.secrecy == ("" if filters.secrecy == NO_SECRECY else filters.secrecy))
    if filters.keyword and filters.keyword.strip():
        word = filters.keyword.strip()
        found.append(or_(*(contains(c, word) for c in (doc.title, doc.doc_number, doc.keywords))))
    if filters.drafted_from:
        found.append(doc.created_at >= day_start(filters.drafted_from))
    if filters.drafted_to:
        found.append(doc.created_at < day_start(filters.drafted_to + timedelta(days=1)))
    if filters.issued_from:
        found.append(doc.issued_date >= filters.issued_from)
    if filters.issued_to:
        found.append(doc.issued_date <= filters.issued_to)
    return found


def _sort_column(sort: str) -> Any:
    doc = GongwenDocument
    columns = {
        "doc_type": doc.doc_type,
        "doc_number": doc.doc_number,
        "title": doc.title,
        "drafted": doc.created_at,
        "issued": doc.issued_date,
        "secrecy": rank(doc.secrecy, _SECRECY_RANK),
        "importance": rank(doc.importance, _IMPORTANCE_RANK),
        "urgency": rank(doc.urgency, _URGENCY_RANK),
        "status": rank(doc.status, _STATUS_RANK),
    }
    return columns.get(sort, doc.created_at)


def outgoing_select(scope: Scope, filters: OutgoingFilters) -> Select[GongwenDocument]:
    """The scope's 发文 matching ``filters``, in the filters' SQL order (newest id breaks ties)."""
    # NULLs (no 成文日期 yet) go last in both directions.
    order = ordering(_sort_column(filters.sort), GongwenDocument.id, descending=filters.descending)
    return (
        select(GongwenDocument)
        .where(GongwenDocument.direction == "out", _in_scope(scope), *_conditions(filters))
        .order_by(*order)
    )


def list_outgoing(
    scope: Scope, filters: OutgoingFilters, *, page: int = 1, per_page: int = 20
) -> DocumentPage:
    """A page of the 发文列表 sorted by a SQL column (see :data:`SQL_SORTS`)."""
    check_filters(filters)
    return paged(outgoing_select(scope, filters), page, per_page)


def outgoing_keys(scope: Scope, filters: OutgoingFilters) -> list[tuple[int, int | None]]:
    """``(document id, instance id)`` of every match, for sorting by where documents wait."""
    check_filters(filters)
    stmt = outgoing_select(scope, filters).with_only_columns(
        GongwenDocument.id, GongwenDocument.instance_id
    )
    return [(row[0], row[1]) for row in db.session.execute(stmt)]


def documents_by_id(ids: Collection[int]) -> dict[int, GongwenDocument]:
    """The documents with these ids (callers have already checked the scope)."""
    if not ids:
        return {}
    stmt = select(GongwenDocument).where(GongwenDocument.id.in_(sorted(set(ids))))
    return {d.id: d for d in db.session.scalars(stmt)}


def user_names(user_ids: Collection[int | None]) -> dict[int, str]:
    """Display names of users, for 办理人 and version authors."""
    wanted = sorted({i for i in user_ids if i is not None})
    if not wanted:
        return {}
    return dict(db.session.execute(select(User.id, User.name).where(User.id.in_(wanted))).all())


# ---------------------------------------------------------------- the document page


def document_files(document_id: int) -> list[DocumentFile]:
    """The generated and attached files of a document, newest first."""
    stmt = (
        select(DocumentFile)
        .where(DocumentFile.document_id == document_id)
        .order_by(DocumentFile.created_at.desc(), DocumentFile.id.desc())
    )
    return list(db.session.scalars(stmt))


def document_file(document_id: int, file_id: int) -> DocumentFile:
    """One file of the document, or :class:`NotFound` (also for another document's file)."""
    found = db.session.get(DocumentFile, file_id)
    if found is None or found.document_id != document_id:
        raise NotFound("文件不存在")
    return found
