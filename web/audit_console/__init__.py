"""The audit console: 审计管理员 only. Read, filter, verify and export; nothing deletes."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime, time, timedelta

from flask import Blueprint, Response, render_template, request

from services.audit import log as audit
from services.db import db
from services.errors import ValidationFailed
from services.org.roles import AUDITOR
from web.filters import BEIJING, local_time
from web.security import roles_required

bp = Blueprint("audit_console", __name__, url_prefix="/audit")

CSV_COLUMNS = ("序号", "时间", "用户", "IP", "终端", "操作", "对象类型", "对象", "结果", "详情")


def _day(field: str, *, end: bool = False) -> datetime | None:
    """A yyyy-mm-dd form value as the UTC instant its Beijing day starts (or ends)."""
    raw = request.args.get(field, "").strip()
    if not raw:
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError as exc:
        raise ValidationFailed("日期格式应为 年-月-日", errors={field: "日期格式不正确"}) from exc
    start = datetime.combine(day, time(0), tzinfo=BEIJING)
    return start + timedelta(days=1) if end else start


def _criteria() -> audit.AuditFilter:
    args = request.args
    return audit.AuditFilter(
        username=args.get("username", "").strip(),
        action=args.get("action", "").strip(),
        result=args.get("result", "").strip(),
        object_text=args.get("object", "").strip(),
        since=_day("since"),
        until=_day("until", end=True),
    )


@bp.get("/")
@roles_required(AUDITOR)
def index() -> str:
    page = audit.search(_criteria(), page=request.args.get("page", 1, type=int))
    return render_template("audit_console/index.html", page=page, report=None)


@bp.post("/verify")
@roles_required(AUDITOR)
def verify() -> str:
    report = audit.verify()
    audit.record(
        "audit.verify",
        result="success" if report.ok else "failure",
        detail={"ok": report.ok, "count": report.count, "seq": report.seq},
    )
    db.session.commit()
    page = audit.search(audit.AuditFilter())
    return render_template("audit_console/index.html", page=page, report=report)


@bp.get("/export.csv")
@roles_required(AUDITOR)
def export() -> Response:
    criteria = _criteria()
    buffer = io.StringIO()
    buffer.write("\ufeff")  # BOM: Excel then opens the Chinese text as UTF-8
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for e in audit.export_rows(criteria):
        writer.writerow(
            [
                e.seq,
                local_time(e.at, "%Y-%m-%d %H:%M:%S"),
                e.username,
                e.ip,
                e.user_agent,
                e.action,
                e.object_type,
                e.object_id,
                e.result,
                json.dumps(e.detail, ensure_ascii=False) if e.detail else "",
            ]
        )
    filters = {k: v for k, v in request.args.items() if v}
    audit.record("audit.export", object_type="audit_event", detail={"filters": filters})
    db.session.commit()
    return Response(
        buffer.getvalue(),
        mimetype="text/csv; charset=utf-8",
        headers={"Content-Disposition": "attachment; filename=audit-log.csv"},
    )
