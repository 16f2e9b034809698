"""What the console exports: columns and rows of the audit log and of the process events.

The spreadsheet writing itself is ``services.audit.export``; here the records become rows, the
row cap is enforced (a refused export says so, rather than silently cutting the file short)
and the bytes become a download.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from typing import Any

from flask import Response, flash, redirect, url_for
from werkzeug.wrappers import Response as WerkzeugResponse

from engine import api
from services.audit import export
from services.audit import log as audit
from services.audit.models import AuditEvent
from services.config import current_settings
from services.db import db
from web.audit_console.criteria import active_filters
from web.audit_console.kinds import kind_label
from web.workbench.history import user_names

Column = export.Column

LOG_COLUMNS = (
    Column("序号", 8),
    Column("时间", 20),
    Column("用户", 14),
    Column("IP", 16),
    Column("终端", 30),
    Column("操作", 24),
    Column("对象类型", 16),
    Column("对象", 14),
    Column("结果", 8),
    Column("详情", 60),
)
EVENT_COLUMNS = (
    Column("时间", 20),
    Column("实例编号", 10),
    Column("流程", 14),
    Column("文号", 20),
    Column("标题", 36),
    Column("事件序号", 10),
    Column("事件", 16),
    Column("环节", 20),
    Column("操作人", 12),
    Column("数据", 60),
)
RESULT_LABELS = {"success": "成功", "failure": "失败"}
_NAME_BATCH = 500


def max_rows() -> int:
    """The row cap of one export (``OA_AUDIT_EXPORT_MAX_ROWS``)."""
    return current_settings().audit_export_max_rows


def over_cap(total: int) -> str | None:
    """Why an export of ``total`` rows is refused (over the cap), or ``None`` when it may run."""
    cap = max_rows()
    if total <= cap:
        return None
    return (
        f"符合条件的记录共 {total} 条，超过单次导出上限 {cap} 条，未导出。"
        "请缩小时间范围或增加筛选条件后分批导出。"
    )


def log_rows(events: Iterable[AuditEvent], limit: int) -> Iterator[list[Any]]:
    """Audit log records as rows of ``LOG_COLUMNS``, at most ``limit``."""
    for e in islice(events, limit):
        yield [
            e.seq,
            e.at,
            e.username or "系统",
            e.ip,
            e.user_agent,
            e.action,
            e.object_type,
            e.object_id,
            RESULT_LABELS.get(e.result, e.result),
            e.detail or None,
        ]


def event_rows(
    events: Iterable[api.EventRow], process_names: dict[str, str]
) -> Iterator[list[Any]]:
    """Process events as rows of ``EVENT_COLUMNS``; actor names looked up a batch at a time."""
    iterator = iter(events)
    while batch := list(islice(iterator, _NAME_BATCH)):
        names = user_names({e.actor_id for e in batch})
        for e in batch:
            yield [
                e.at,
                e.instance_id,
                process_names.get(e.process_key, e.process_key),
                e.business_key,
                e.title,
                e.seq,
                kind_label(e.kind),
                e.task_name or e.task_spec,
                names.get(e.actor_id, "系统") if e.actor_id else "系统",
                e.data or None,
            ]


def render(
    fmt: str, columns: Sequence[Column], rows: Iterable[Sequence[Any]], *, sheet: str
) -> bytes:
    """The rows as .xlsx or CSV bytes."""
    if fmt == "xlsx":
        return export.to_xlsx(columns, rows, sheet_title=sheet)
    return export.to_csv(columns, rows)


def download(body: bytes, fmt: str, stem: str) -> Response:
    """An attachment response for ``stem.fmt``."""
    mimetype = export.XLSX_MIMETYPE if fmt == "xlsx" else export.CSV_MIMETYPE
    return Response(
        body,
        mimetype=mimetype,
        headers={"Content-Disposition": f"attachment; filename={stem}.{fmt}"},
    )


def refuse(action: str, *, fmt: str, total: int, message: str, back: str) -> WerkzeugResponse:
    """An over-cap export: audited as refused, then back to the listing with the message."""
    audit.record(
        action,
        result="failure",
        detail={
            "format": fmt,
            "rows": total,
            "refused": "超过导出上限",
            "filters": active_filters(),
        },
    )
    db.session.commit()
    flash(message, "error")
    return redirect(url_for(back, **active_filters()))
