"""The platform audit log: search, chain verification and export."""

from __future__ import annotations

from contextlib import closing

from flask import Response, render_template, request
from werkzeug.wrappers import Response as WerkzeugResponse

from services.audit import log as audit
from services.db import db
from services.org.roles import AUDITOR
from web.audit_console import bp, exports
from web.audit_console.criteria import active_filters, log_criteria
from web.security import roles_required


@bp.get("/")
@roles_required(AUDITOR)
def index() -> str:
    page = audit.search(log_criteria(), page=request.args.get("page", 1, type=int))
    return _listing(page, report=None)


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
    return _listing(audit.search(audit.AuditFilter()), report=report)


def _listing(page: audit.AuditPage, report: audit.VerifyReport | None) -> str:
    return render_template(
        "audit_console/index.html", page=page, report=report, max_rows=exports.max_rows()
    )


@bp.get("/export.<any(csv, xlsx):fmt>")
@roles_required(AUDITOR)
def export(fmt: str) -> Response | WerkzeugResponse:
    criteria = log_criteria()
    total = audit.search(criteria, per_page=1).total
    refused = exports.over_cap(total)
    if refused:
        return exports.refuse(
            "audit.export", fmt=fmt, total=total, message=refused, back="audit_console.index"
        )
    with closing(audit.export_rows(criteria)) as events:
        rows = exports.log_rows(events, total)
        body = exports.render(fmt, exports.LOG_COLUMNS, rows, sheet="审计日志")
    audit.record(
        "audit.export",
        object_type="audit_event",
        detail={"format": fmt, "rows": total, "filters": active_filters()},
    )
    db.session.commit()
    return exports.download(body, fmt, "audit-log")
