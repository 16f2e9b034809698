"""Queries behind the 发文 pages: who may see which documents (data scope), the filtered and
sorted 发文列表, and the lookups the document page needs.

Where a document waits (当前环节, 办理人) is engine state: the caller asks the engine for it and
passes the instances the user took part in as :attr:`Scope.instance_ids`, so that this module
never reads engine tables.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, or_, select, true

from services.db import db
from services.errors import Forbidden, NotFound
from services.gongwen import query_filters as qf
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
DocumentPage = qf.Page[GongwenDocument]


def check_filters(filters: OutgoingFilters) -> None:
    """Raise :class:`ValidationFailed` (Chinese, per field) for values outside the choices."""
    secrecy = (NO_SECRECY, *SECRECY_LEVELS[1:])
    choices: list[qf.Choice] = [
        ("doc_type", filters.doc_type, DOC_TYPES, "不支持的文种"),
        ("status", filters.status, STATUSES, "状态不正确"),
        ("secrecy", filters.secrecy, secrecy, "密级不正确"),
        ("importance", filters.importance, IMPORTANCE_LEVELS, "重要程度不正确"),
        ("urgency", filters.urgency, URGENCY_LABELS, "紧急程度不正确"),
        ("sort", filters.sort, (*SQL_SORTS, *ENGINE_SORTS), "不支持的排序方式"),
    ]
    qf.check_choices(choices, "筛选条件有误", {})


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


def unit_instance_ids(unit_id: int, direction: str = "out") -> list[int]:
    """The engine instances handling the unit's 发文 (or documents of another ``direction``,
    such as 签报), for the caller's participation lookup."""
    stmt = select(GongwenDocument.instance_id).where(
        GongwenDocument.unit_id == unit_id,
        GongwenDocument.direction == direction,
        GongwenDocument.instance_id.is_not(None),
    )
    return [i for i in db.session.scalars(stmt) if i is not None]


def _participant(scope: Scope, *, authors: bool) -> ColumnElement[bool]:
    doc = GongwenDocument
    taken_part = [doc.drafter_id == scope.user_id, doc.signer_id == scope.user_id]
    if authors:
        authored = select(BodyVersion.document_id).where(BodyVersion.author_id == scope.user_id)
        taken_part.append(doc.id.in_(authored))
    if scope.instance_ids:
        taken_part.append(doc.instance_id.in_(sorted(scope.instance_ids)))
    if scope.department_id is not None:
        taken_part.append(doc.drafting_department_id == scope.department_id)
    return or_(*taken_part)


def units_condition(column: Any, unit_id: int, below: Collection[int]) -> ColumnElement[bool]:
    """``column`` is ``unit_id`` or one of the units ``below`` it (本单位及下属)."""
    return column.in_(sorted({unit_id, *below})) if below else column == unit_id


def in_scope(scope: Scope, *, authors: bool = True) -> ColumnElement[bool]:
    """The documents of ``scope``; with ``authors`` the authors of a 正文 version take part too
    (签报 count only drafters, signers, instances and departments)."""
    if scope.everywhere:
        return true()
    units = units_condition(GongwenDocument.unit_id, scope.unit_id, scope.below)
    return units if scope.whole_unit else and_(units, _participant(scope, authors=authors))


def visible_of(
    document_id: int, direction: str, condition: ColumnElement[bool], message: str
) -> GongwenDocument:
    """The document of ``direction`` meeting ``condition`` (a scope); otherwise
    :class:`Forbidden` with ``message``, the same for unknown ids."""
    stmt = select(GongwenDocument).where(
        GongwenDocument.id == document_id, GongwenDocument.direction == direction, condition
    )
    document = db.session.scalars(stmt).first()
    if document is None:
        raise Forbidden(message, document_id=document_id)
    return document


def visible_document(document_id: int, scope: Scope) -> GongwenDocument:
    """The 发文 if it is in ``scope``; the same :class:`Forbidden` for unknown ids."""
    return visible_of(document_id, "out", in_scope(scope), FORBIDDEN)


# ---------------------------------------------------------------- the list


def _conditions(filters: OutgoingFilters) -> list[ColumnElement[bool]]:
    doc = GongwenDocument
    found: list[ColumnElement[bool]] = []
    if filters.year:
        first, last = date(filters.year, 1, 1), date(filters.year, 12, 31)
        created = and_(*qf.within_days(doc.created_at, first, last))
        found.append(
            or_(doc.issued_date.between(first, last), and_(doc.issued_date.is_(None), created))
        )
    names = ("doc_type", "status", "importance", "urgency")
    found += qf.equal_to((getattr(doc, name), getattr(filters, name)) for name in names)
    if filters.secrecy:
        found.append(doc.secrecy == ("" if filters.secrecy == NO_SECRECY else filters.secrecy))
    found += qf.keyword_in(filters.keyword, doc.title, doc.doc_number, doc.keywords)
    found += qf.within_days(doc.created_at, filters.drafted_from, filters.drafted_to)
    found += qf.within_dates(doc.issued_date, filters.issued_from, filters.issued_to)
    return found


def _sort_column(sort: str) -> Any:
    doc = GongwenDocument
    columns = {
        "doc_type": doc.doc_type,
        "doc_number": doc.doc_number,
        "title": doc.title,
        "drafted": doc.created_at,
        "issued": doc.issued_date,
        "secrecy": qf.rank(doc.secrecy, SECRECY_LEVELS),
        "importance": qf.rank(doc.importance, IMPORTANCE_LEVELS),
        "urgency": qf.rank(doc.urgency, URGENCY_LABELS),
        "status": qf.rank(doc.status, STATUSES),
    }
    return columns.get(sort, doc.created_at)


def outgoing_select(scope: Scope, filters: OutgoingFilters) -> Select[GongwenDocument]:
    """The scope's 发文 matching ``filters``, in the filters' SQL order (newest id breaks ties)."""
    doc = GongwenDocument
    conditions = (doc.direction == "out", in_scope(scope), *_conditions(filters))
    # NULLs (no 成文日期 yet) go last in both directions.
    column = _sort_column(filters.sort)
    return qf.sorted_select(doc, conditions, column, doc.id, descending=filters.descending)


def list_outgoing(
    scope: Scope, filters: OutgoingFilters, *, page: int = 1, per_page: int = 20
) -> DocumentPage:
    """A page of the 发文列表 sorted by a SQL column (see :data:`SQL_SORTS`)."""
    check_filters(filters)
    return qf.paged(outgoing_select(scope, filters), page, per_page)


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
