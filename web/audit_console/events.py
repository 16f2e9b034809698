"""流程审计: engine events across all instances, searched, paged and exported."""

from __future__ import annotations

from contextlib import closing

from flask import Response, render_template, request
from werkzeug.wrappers import Response as WerkzeugResponse

from engine import api
from engine.definitions import repository
from services.audit import log as audit
from services.db import db
from services.org.roles import AUDITOR
from web.audit_console import bp, exports
from web.audit_console.criteria import active_filters, event_filters
from web.audit_console.kinds import KIND_GROUPS, kind_label
from web.security import roles_required
from web.workbench.history import user_names

PER_PAGE = 50


def process_names() -> dict[str, str]:
    """{process key: Chinese name} of every deployed process."""
    return {row.key: row.name for row in repository.list_definitions()}


@bp.get("/events")
@roles_required(AUDITOR)
def events() -> str:
    filters = event_filters()
    page = api.search_events(filters, page=request.args.get("page", 1, type=int), per_page=PER_PAGE)
    return render_template(
        "audit_console/events.html",
        page=page,
        names=user_names({e.actor_id for e in page.items}),
        processes=process_names(),
        groups=KIND_GROUPS,
        kind_label=kind_label,
        max_rows=exports.max_rows(),
    )


@bp.get("/events/export.<any(csv, xlsx):fmt>")
@roles_required(AUDITOR)
def export_events(fmt: str) -> Response | WerkzeugResponse:
    filters = event_filters()
    total = api.count_events(filters)
    refused = exports.over_cap(total)
    if refused:
        return exports.refuse(
            "audit.events_export",
            fmt=fmt,
            total=total,
            message=refused,
            back="audit_console.events",
        )
    with closing(api.export_events(filters, limit=total)) as found:
        rows = exports.event_rows(found, process_names())
        body = exports.render(fmt, exports.EVENT_COLUMNS, rows, sheet="流程审计")
    audit.record(
        "audit.events_export",
        object_type="instance_event",
        detail={"format": fmt, "rows": total, "filters": active_filters()},
    )
    db.session.commit()
    return exports.download(body, fmt, "process-events")
