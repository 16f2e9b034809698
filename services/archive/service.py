"""归档: file a finished 公文 (发文, 收文 or 签报) as one 件 with a DA/T 22 档号, and verify it.

What a 件 holds depends on the direction (``parts.py``): 发文稿纸, sealed 正本, 附件, 定稿 for a
发文; 收文处理单, 来文正本, 附件 for a 收文; 签报单, 正文, 附件 for a 签报; always the process
history (JSON) last. Each item keeps its SHA-256. The 档号 is
``全宗号-WS·年度-保管期限-机构代码-件号`` (``J021-WS·2025-Y-JJK-0001``); the 保管期限, 全宗号 and
机构代码 come from the 归档范围和保管期限表 (``retention.py``). 件号 run from 1 per (全宗号, 年度,
保管期限) — shared by a unit's 发文, 收文 and 签报 — taken with one atomic ``UPDATE ...
RETURNING`` like 发文字号, so concurrent archiving never shares or skips a number. Records never
change; :func:`verify_record` recomputes the hashes and compares the file list with the one
written to the audit log at filing time.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite

from services import clock
from services.archive import metadata, parts, retention
from services.archive.models import RETENTIONS, ArchiveCounter, ArchiveItem, ArchiveRecord
from services.archive.parts import ITEM_LABELS  # noqa: F401  (re-exported for the web page)
from services.audit import log as audit
from services.audit.models import AuditEvent
from services.db import db
from services.errors import NotFound
from services.gongwen import documents, sheet
from services.gongwen.models import GongwenDocument
from services.org.models import Department, User

CATEGORY_CODE = metadata.CATEGORY_CODE
AUDIT_ACTION = "archive.file"
ARCHIVE_CODE_PATTERN = re.compile(
    r"^(?P<fonds>[A-Za-z0-9]{1,20})-WS·(?P<year>\d{4})-(?P<retention>Y|D30|D10)"
    r"-(?P<org>[A-Za-z0-9]{1,20})-(?P<item>\d{4,})$"
)
HISTORY_NAME = "流转记录.json"


@dataclass(frozen=True)
class RecordCheck:
    """Outcome of :func:`verify_record`: ``problems`` is empty when the 件 is intact."""

    record_id: int
    archive_code: str
    items: int
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def format_archive_code(fonds_code: str, year: int, retention_code: str, org: str, no: int) -> str:
    """The DA/T 22 档号, e.g. ``J001-WS·2025-Y-BGS-0001`` (件号 zero-padded to 4 digits)."""
    return f"{fonds_code}-{CATEGORY_CODE}·{year}-{retention_code}-{org}-{no:04d}"


def archive_document(
    document_id: int,
    *,
    actor_id: int | None,
    history: list[dict[str, Any]],
    opinions: list[sheet.SheetOpinion] | None = None,
    department_id: int | None = None,
) -> ArchiveRecord:
    """File the finished document ``document_id`` as one 件 and set its status to ``archived``.

    A 发文 must be issued (sealed), a 收文 办结, a 签报 past its 拟稿. ``history`` is the process
    history (engine event views as dicts: ``seq``, ``at``, ``actor_id``, ``kind``,
    ``task_name`` …), filed as JSON and summarised in the metadata. When ``opinions`` are given
    the final 发文稿纸 is generated and stored first; otherwise the last stored sheet is filed.
    ``department_id`` is the 机构(问题) when it is not the drafting department (a 收文's
    主办部门). Refuses (:class:`ValidationFailed`) a document that is not ready or lacks a part
    of the 件, and (:class:`Conflict`) one already archived.
    """
    document = _locked_document(document_id)
    parts.check_archivable(document, record_for_document(document.id) is not None)
    if opinions is not None:
        sheet.store_sheet(document_id, opinions, actor_id=actor_id)
    contents = parts.collect(document)
    table = retention.load_table()
    decision = table.retention_for(
        document.direction, document.doc_type, document.title, *_classes(document)
    )
    fonds = table.fonds_for(document.unit.code)
    org = table.org_code_for(document.unit.code, _department_name(document, department_id))
    year = _year(document)
    item_no = _next_item_no(fonds, year, decision.retention)
    items = _items(contents, history)
    record = ArchiveRecord(
        document_id=document.id,
        archive_code=format_archive_code(fonds, year, decision.retention, org, item_no),
        fonds_code=fonds,
        year=year,
        retention=decision.retention,
        org_code=org,
        item_no=item_no,
        title=document.title,
        doc_number=_doc_number(document),
        created_at=clock.now(),
        created_by_id=actor_id,
        items=items,
    )
    record.meta = metadata.build(document, record, items, history, table.name, decision.rule_id)
    db.session.add(record)
    db.session.flush()
    # -> archived needs no further field checks (``check_archivable`` did them).
    document.status = "archived"
    document.updated_at = clock.now()
    document.updated_by_id = actor_id
    db.session.flush()
    _audit(record, actor_id)
    return record


def record_for_document(document_id: int) -> ArchiveRecord | None:
    """The archive record of a document, if it was archived."""
    return db.session.scalars(
        select(ArchiveRecord).where(ArchiveRecord.document_id == document_id)
    ).first()


def get_record(record_id: int) -> ArchiveRecord:
    """The record with this id, or :class:`NotFound`."""
    record = db.session.get(ArchiveRecord, record_id)
    if record is None:
        raise NotFound(f"档案记录（编号 {record_id}）不存在")
    return record


def verify_record(record_id: int) -> RecordCheck:
    """Recompute every item's SHA-256 and size, and compare the 件's file list with the one
    recorded in the record's metadata and in the (hash-chained) audit log at filing time."""
    record = get_record(record_id)
    db.session.refresh(record)  # read the stored bytes, not what this session remembers
    items = list(
        db.session.scalars(
            select(ArchiveItem)
            .where(ArchiveItem.record_id == record.id)
            .order_by(ArchiveItem.seq)
            .execution_options(populate_existing=True)
        )
    )
    problems = [_item_problem(item) for item in items]
    check = RecordCheck(record.id, record.archive_code, len(items), [p for p in problems if p])
    manifest = metadata.manifest(items)
    if manifest != record.meta.get("manifest_sha256"):
        check.problems.append("件内文件清单与归档时记录的不一致")
    if manifest != _audited_manifest(record.archive_code):
        check.problems.append("件内文件清单与审计日志中的归档记录不一致")
    return check


def _locked_document(document_id: int) -> GongwenDocument:
    # The row lock (PostgreSQL) makes a second archiving of the same document wait and then
    # see it archived, instead of failing on the unique constraint.
    document = db.session.scalars(
        select(GongwenDocument)
        .where(GongwenDocument.id == document_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    if document is None:
        raise NotFound(f"公文（编号 {document_id}）不存在")
    return document


def _items(contents: list[parts.Part], history: list[dict[str, Any]]) -> list[ArchiveItem]:
    history_json = json.dumps(
        history, ensure_ascii=False, indent=2, sort_keys=True, default=metadata.json_value
    )
    files = [*contents, parts.Part("history_json", HISTORY_NAME, history_json.encode())]
    return [
        ArchiveItem(
            seq=seq,
            kind=part.kind,
            filename=part.filename,
            sha256=hashlib.sha256(part.content).hexdigest(),
            size=len(part.content),
            content=part.content,
        )
        for seq, part in enumerate(files, start=1)
    ]


def _classes(document: GongwenDocument) -> tuple[str, str]:
    """A 收文's category and class (收报/收抄/收办), which the retention rules may test."""
    record = parts.incoming_record(document.id) if document.direction == "in" else None
    return (record.category, record.receipt_class or "") if record is not None else ("", "")


def _department_name(document: GongwenDocument, department_id: int | None) -> str | None:
    department = db.session.get(Department, department_id) if department_id else None
    if department is None or department.unit_id != document.unit_id:
        department = document.drafting_department
    return department.name if department else None


def _doc_number(document: GongwenDocument) -> str | None:
    """文号 of the 件: the 来文文号 for a 收文, else the document's own."""
    record = parts.incoming_record(document.id) if document.direction == "in" else None
    return (record.from_doc_number or None) if record is not None else document.doc_number


def _year(document: GongwenDocument) -> int:
    """年度: a 发文's 成文日期; a 收文's 办结 year (a 收文 handled across the new year is filed in
    the year it was finished, DA/T 22), else its 收文日期; today (Beijing) when none is known."""
    record = parts.incoming_record(document.id) if document.direction == "in" else None
    known: date | None = document.issued_date
    if record is not None:
        finished = record.finished_at
        known = documents.beijing_time(finished).date() if finished else record.received_date
    return (known or documents.beijing_today()).year


def _next_item_no(fonds_code: str, year: int, retention_code: str) -> int:
    """Atomically claim the next 件号 of (全宗号, 年度, 保管期限)."""
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    db.session.execute(
        insert(ArchiveCounter)
        .values(fonds_code=fonds_code, year=year, retention=retention_code, next_no=1)
        .on_conflict_do_nothing(index_elements=["fonds_code", "year", "retention"])
    )
    stmt = (
        update(ArchiveCounter)
        .where(
            ArchiveCounter.fonds_code == fonds_code,
            ArchiveCounter.year == year,
            ArchiveCounter.retention == retention_code,
        )
        .values(next_no=ArchiveCounter.next_no + 1)
        .returning(ArchiveCounter.next_no)
        .execution_options(synchronize_session=False)
    )
    return int(db.session.execute(stmt).scalar_one()) - 1


def _item_problem(item: ArchiveItem) -> str | None:
    content = item.content or b""
    if hashlib.sha256(content).hexdigest() != item.sha256 or len(content) != item.size:
        return f"第 {item.seq} 项“{item.filename}”的内容与归档时的摘要不符"
    return None


def _audited_manifest(archive_code: str) -> str | None:
    event = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.action == AUDIT_ACTION, AuditEvent.object_id == archive_code)
        .order_by(AuditEvent.seq)
    ).first()
    return (event.detail or {}).get("manifest_sha256") if event is not None else None


def _audit(record: ArchiveRecord, actor_id: int | None) -> None:
    actor = db.session.get(User, actor_id) if actor_id is not None else None
    audit.record(
        AUDIT_ACTION,
        user=actor,
        object_type="档案",
        object_id=record.archive_code,
        detail={
            "document_id": record.document_id,
            "retention": RETENTIONS[record.retention],
            "items": [{"seq": i.seq, "kind": i.kind, "sha256": i.sha256} for i in record.items],
            "manifest_sha256": record.meta["manifest_sha256"],
        },
    )
