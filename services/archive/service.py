"""归档: file an issued 公文 as one 件 with a DA/T 22 档号, and verify it later.

A 件 holds, in DA/T 22 order, the 发文稿纸 (PDF), the sealed 正本, its 附件, the 定稿 .docx
and the process history (JSON); each item keeps its SHA-256. The 档号 is
``全宗号-WS·年度-保管期限-机构代码-件号`` (``J021-WS·2025-Y-JJK-0001``); the 保管期限, 全宗号 and
机构代码 come from the 归档范围和保管期限表 (``retention.py``). 件号 run from 1 per (全宗号, 年度,
保管期限), taken with one atomic ``UPDATE ... RETURNING`` like 发文字号, so concurrent archiving
never shares or skips a number. Records never change; :func:`verify_record` recomputes the
hashes and compares the file list with the one written to the audit log at filing time.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pypdf import PdfReader
from pypdf.errors import PyPdfError
from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite

from services import clock
from services.archive import retention
from services.archive.models import RETENTIONS, ArchiveCounter, ArchiveItem, ArchiveRecord
from services.audit import log as audit
from services.audit.models import AuditEvent
from services.db import db
from services.errors import Conflict, NotFound, ValidationFailed
from services.gongwen import documents, sheet
from services.gongwen.models import DIRECTIONS, URGENCY_LABELS, DocumentFile, GongwenDocument
from services.org.models import User

CATEGORY_CODE = "WS"  # 门类代码: 文书
AUDIT_ACTION = "archive.file"
ARCHIVE_CODE_PATTERN = re.compile(
    r"^(?P<fonds>[A-Za-z0-9]{1,20})-WS·(?P<year>\d{4})-(?P<retention>Y|D30|D10)"
    r"-(?P<org>[A-Za-z0-9]{1,20})-(?P<item>\d{4,})$"
)
ITEM_NAMES = {
    "sheet_pdf": "发文稿纸.pdf",
    "sealed_pdf": "正本.pdf",
    "final_docx": "定稿.docx",
    "history_json": "流转记录.json",
}
ITEM_LABELS = {
    "sheet_pdf": "发文稿纸",
    "sealed_pdf": "正本（已用印）",
    "attachment": "附件",
    "final_docx": "定稿",
    "history_json": "流转记录",
}
_MISSING = {
    "sheet_pdf": "尚未生成发文稿纸，不能归档",
    "final_docx": "尚未确定定稿，不能归档",
}


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
) -> ArchiveRecord:
    """File the issued document ``document_id`` as one 件 and set its status to ``archived``.

    ``history`` is the process history (engine event views as dicts: ``seq``, ``at``,
    ``actor_id``, ``kind``, ``task_name`` …), filed as JSON and summarised in the metadata.
    When ``opinions`` are given the final 发文稿纸 is generated and stored first; otherwise the
    last stored one is filed. Refuses (:class:`ValidationFailed`) a document that is not issued
    or lacks a part of the 件, and (:class:`Conflict`) one already archived.
    """
    document = _locked_document(document_id)
    _check_archivable(document)
    if opinions is not None:
        sheet.store_sheet(document_id, opinions, actor_id=actor_id)
    parts = _parts(document_id)
    table = retention.load_table()
    decision = table.retention_for(document.direction, document.doc_type, document.title)
    department = document.drafting_department
    fonds = table.fonds_for(document.unit.code)
    org = table.org_code_for(document.unit.code, department.name if department else None)
    year = _year(document)
    item_no = _next_item_no(fonds, year, decision.retention)
    code = format_archive_code(fonds, year, decision.retention, org, item_no)
    items = _items(parts, history)
    record = ArchiveRecord(
        document_id=document.id,
        archive_code=code,
        fonds_code=fonds,
        year=year,
        retention=decision.retention,
        org_code=org,
        item_no=item_no,
        title=document.title,
        doc_number=document.doc_number,
        created_at=clock.now(),
        created_by_id=actor_id,
        items=items,
    )
    record.meta = _metadata(document, record, items, history, table.name, decision.rule_id)
    db.session.add(record)
    db.session.flush()
    # issued -> archived needs no further field checks (``_check_archivable`` did them).
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
    manifest = _manifest(items)
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


def _check_archivable(document: GongwenDocument) -> None:
    if document.status == "archived" or record_for_document(document.id) is not None:
        raise Conflict(f"公文“{document.title}”已归档，不能重复归档")
    if document.status != "issued" or not _files(document.id, "sealed_pdf"):
        raise ValidationFailed(
            f"公文“{document.title}”尚未印发（没有加盖印章的正式文件），不能归档",
            errors={"status": "公文尚未印发"},
        )


def _files(document_id: int, kind: str) -> list[DocumentFile]:
    return list(
        db.session.scalars(
            select(DocumentFile)
            .where(DocumentFile.document_id == document_id, DocumentFile.kind == kind)
            .order_by(DocumentFile.id)
        )
    )


def _parts(document_id: int) -> dict[str, list[DocumentFile]]:
    """The stored files of each kind a 件 takes; the newest sheet, 正本 and 定稿 only."""
    parts: dict[str, list[DocumentFile]] = {}
    for kind in ("sheet_pdf", "sealed_pdf", "attachment", "final_docx"):
        found = _files(document_id, kind)
        if not found and kind in _MISSING:
            raise ValidationFailed(_MISSING[kind], errors={kind: _MISSING[kind]})
        parts[kind] = found if kind == "attachment" else found[-1:]
    return parts


def _items(
    parts: dict[str, list[DocumentFile]], history: list[dict[str, Any]]
) -> list[ArchiveItem]:
    contents: list[tuple[str, str, bytes]] = []
    for kind in ("sheet_pdf", "sealed_pdf", "attachment", "final_docx"):
        for file in parts[kind]:
            contents.append((kind, ITEM_NAMES.get(kind, file.filename), file.content))
    history_json = json.dumps(
        history, ensure_ascii=False, indent=2, sort_keys=True, default=_json_value
    )
    contents.append(("history_json", ITEM_NAMES["history_json"], history_json.encode()))
    return [
        ArchiveItem(
            seq=seq,
            kind=kind,
            filename=name,
            sha256=hashlib.sha256(content).hexdigest(),
            size=len(content),
            content=content,
        )
        for seq, (kind, name, content) in enumerate(contents, start=1)
    ]


def _json_value(value: Any) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)  # datetime is a date


def _year(document: GongwenDocument) -> int:
    """年度: the year of the 成文日期 (today, Beijing time, if none was recorded)."""
    issued: date = document.issued_date or documents.beijing_today()
    return issued.year


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


def _pages(item: ArchiveItem) -> int | None:
    if not item.filename.endswith(".pdf"):
        return None
    try:
        return len(PdfReader(io.BytesIO(item.content)).pages)
    except (PyPdfError, ValueError, OSError):
        return None


def _metadata(
    document: GongwenDocument,
    record: ArchiveRecord,
    items: list[ArchiveItem],
    history: list[dict[str, Any]],
    table_name: str,
    rule_id: str | None,
) -> dict[str, Any]:
    """DA/T 46 descriptive metadata of the 件 (element names as the standard writes them)."""
    files = [_file_entry(item) for item in items]
    main = next((f for f in files if f["类型"] == ITEM_LABELS["sealed_pdf"]), None)
    return {
        "聚合层次": "件",
        "来源": {"立档单位名称": document.unit.name, "全宗号": record.fonds_code},
        "档号": {
            "档号": record.archive_code,
            "全宗号": record.fonds_code,
            "门类代码": CATEGORY_CODE,
            "年度": record.year,
            "保管期限": record.retention,
            "机构代码": record.org_code,
            "件号": record.item_no,
        },
        "内容描述": _content(document),
        "形式特征": {
            "文件组合类型": "单件",
            "件数": len(items),
            "页数": main["页数"] if main else None,
            "语种": "汉语",
            "稿本": "正本",
        },
        "电子属性": files,
        "业务实体": _business(history),
        "保管期限依据": {"保管期限表": table_name, "条目": rule_id or "默认"},
        "归档": {"归档时间": clock.as_utc(record.created_at).isoformat()},
        "manifest_sha256": _manifest(items),
    }


def _content(document: GongwenDocument) -> dict[str, Any]:
    issued = document.issued_date
    return {
        "题名": document.title,
        "文件编号": document.doc_number or "",
        "责任者": document.unit.name,
        "日期": issued.strftime("%Y%m%d") if issued else "",
        "文种": document.doc_type,
        "紧急程度": URGENCY_LABELS.get(document.urgency) or "平件",
        "主送": "、".join(r.get("name", "") for r in document.main_recipients or []),
        "抄送": "、".join(r.get("name", "") for r in document.copy_recipients or []),
        "密级": document.secrecy or "非密",
        "保密期限": document.secrecy_term if document.secrecy else "",
        "关键词": document.keywords,
        "公文方向": DIRECTIONS.get(document.direction, document.direction),
    }


def _file_entry(item: ArchiveItem) -> dict[str, Any]:
    return {
        "序号": item.seq,
        "类型": ITEM_LABELS[item.kind],
        "文件名": item.filename,
        "格式": item.filename.rsplit(".", 1)[-1].upper() if "." in item.filename else "",
        "大小": item.size,
        "页数": _pages(item),
        "SHA256": item.sha256,
    }


def _business(history: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """业务实体: who did what when, from the process history."""
    ids = {h["actor_id"] for h in history if isinstance(h.get("actor_id"), int)}
    names: dict[Any, str] = {}
    if ids:
        names = {u.id: u.name for u in db.session.scalars(select(User).where(User.id.in_(ids)))}
    return [
        {
            "业务行为": h.get("task_name") or h.get("kind") or "",
            "行为时间": _json_value(h["at"]) if h.get("at") else "",
            "机构人员": names.get(h.get("actor_id"), ""),
            "行为描述": h.get("kind") or "",
        }
        for h in history
    ]


def _manifest(items: list[ArchiveItem]) -> str:
    lines = [f"{i.seq}:{i.kind}:{i.size}:{i.sha256}" for i in sorted(items, key=lambda i: i.seq)]
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


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
