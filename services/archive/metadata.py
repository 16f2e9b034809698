"""DA/T 46-2009 descriptive metadata of a 件, and the manifest that fixes its file list.

The element names are those the standard writes (题名, 责任者, 文件编号 …). For a 收文 the
责任者 and 文件编号 are the sender's (来文单位, 来文文号) and the 收文号 is kept with them.
"""

from __future__ import annotations

import hashlib
import io
from datetime import date
from typing import Any

from pypdf import PdfReader
from pypdf.errors import PyPdfError
from sqlalchemy import select

from services import clock
from services.archive.models import ArchiveItem, ArchiveRecord
from services.archive.parts import ITEM_LABELS, MAIN_KIND, incoming_record
from services.db import db
from services.gongwen.models import DIRECTIONS, URGENCY_LABELS, GongwenDocument
from services.org.models import User

CATEGORY_CODE = "WS"  # 门类代码: 文书


def json_value(value: Any) -> str:
    """JSON form of the history's non-JSON values (datetimes as ISO 8601)."""
    return value.isoformat() if isinstance(value, date) else str(value)  # datetime is a date


def manifest(items: list[ArchiveItem]) -> str:
    """SHA-256 over the 件's file list (seq, kind, size, hash of every item)."""
    lines = [f"{i.seq}:{i.kind}:{i.size}:{i.sha256}" for i in sorted(items, key=lambda i: i.seq)]
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def build(
    document: GongwenDocument,
    record: ArchiveRecord,
    items: list[ArchiveItem],
    history: list[dict[str, Any]],
    table_name: str,
    rule_id: str | None,
) -> dict[str, Any]:
    """DA/T 46 descriptive metadata of the 件 (element names as the standard writes them)."""
    files = [_file_entry(item) for item in items]
    main_kind = MAIN_KIND.get(document.direction, "sealed_pdf")
    main = next((f for f, i in zip(files, items, strict=True) if i.kind == main_kind), None)
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
        "manifest_sha256": manifest(items),
    }


def _content(document: GongwenDocument) -> dict[str, Any]:
    issued = document.issued_date
    content = {
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
    record = incoming_record(document.id) if document.direction == "in" else None
    if record is not None:
        received = record.received_date
        content |= {
            "文件编号": record.from_doc_number or content["文件编号"],
            "责任者": record.from_unit or content["责任者"],
            "日期": content["日期"] or (received.strftime("%Y%m%d") if received else ""),
            "主送": content["主送"] or document.unit.name,
            "收文号": record.receipt_number or "",
            "收文日期": received.strftime("%Y%m%d") if received else "",
            "收文类别": record.category,
        }
    return content


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


def _pages(item: ArchiveItem) -> int | None:
    if not item.filename.endswith(".pdf"):
        return None
    try:
        return len(PdfReader(io.BytesIO(item.content)).pages)
    except (PyPdfError, ValueError, OSError):
        return None


def _business(history: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """业务实体: who did what when, from the process history."""
    ids = {h["actor_id"] for h in history if isinstance(h.get("actor_id"), int)}
    names: dict[Any, str] = {}
    if ids:
        names = {u.id: u.name for u in db.session.scalars(select(User).where(User.id.in_(ids)))}
    return [
        {
            "业务行为": h.get("task_name") or h.get("kind") or "",
            "行为时间": json_value(h["at"]) if h.get("at") else "",
            "机构人员": names.get(h.get("actor_id"), ""),
            "行为描述": h.get("kind") or "",
        }
        for h in history
    ]
