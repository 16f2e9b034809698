"""签报管理: the unit's 签报 (internal requests) with filters, sorting and where each one waits,
and a 签报 page with its 正文, files (签报单) and a link to the running instance.

Scope as for 发文: leaders, the 办公室 and 收发员 see the whole unit's 签报, a 部门负责人 the
department's, everyone else those they drafted or took part in; never another unit's.
"""

from __future__ import annotations

import io
from datetime import date

from flask import g, render_template, request, send_file
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from engine import api
from services import clock
from services.errors import ValidationFailed
from services.gongwen import qianbao_queries as qb
from services.gongwen import queries, versions
from services.gongwen.body import sanitise_html
from services.gongwen.models import GongwenDocument
from services.org.models import User
from web.gongwen import bp, labels
from web.gongwen.tracking import where_document_is, where_documents_are
from web.office_types import download_type
from web.security import login_required

PER_PAGE = 20
STATUS = {"draft": "拟稿", "reviewing": "审批中", "signed": "已批示", "archived": "已办结归档"}
STATUS["void"] = "已作废"
COLUMNS = (
    ("title", "标题"),
    ("drafted", "拟稿日期"),
    ("urgency", "紧急程度"),
    ("status", "状态"),
    ("updated", "最近办理"),
)
DATES = {"drafted_from": "拟稿日期（起）", "drafted_to": "拟稿日期（止）"}


def qianbao_scope(user: User) -> queries.Scope:
    """What ``user`` may see of their own unit's 签报."""
    if queries.whole_unit_scope(user):
        return queries.Scope(user_id=user.id, unit_id=user.unit_id, whole_unit=True)
    taken_part = api.participated_instances(user.id, qb.unit_instance_ids(user.unit_id))
    return queries.Scope(
        user_id=user.id,
        unit_id=user.unit_id,
        department_id=queries.department_scope(user),
        instance_ids=frozenset(taken_part),
    )


def parse_filters(args: MultiDict[str, str]) -> tuple[qb.QianbaoFilters, dict[str, str]]:
    """The list's filters from the query string, with Chinese messages for bad values."""
    errors: dict[str, str] = {}
    dates: dict[str, date | None] = {}
    for name, label in DATES.items():
        raw = (args.get(name) or "").strip()
        try:
            dates[name] = date.fromisoformat(raw) if raw else None
        except ValueError:
            errors[name], dates[name] = f"{label}格式应为 2026-03-01", None
    filters = qb.QianbaoFilters(
        status=(args.get("status") or "").strip() or None,
        urgency=(args.get("urgency") or "").strip() or None,
        keyword=(args.get("q") or "").strip() or None,
        sort=args.get("sort") or "drafted",
        descending=args.get("dir", "desc") != "asc",
        **dates,
    )
    try:
        qb.check_filters(filters)
    except ValidationFailed as exc:
        errors.update(exc.errors)
    return filters, errors


@bp.get("/qianbao")
@login_required
def qianbao_list() -> tuple[str, int]:
    filters, errors = parse_filters(request.args)
    raw_page = request.args.get("page", "1")
    page_number = max(1, int(raw_page)) if raw_page.isdigit() else 1
    if errors:
        result = queries.DocumentPage([], 0, 1, PER_PAGE)
    else:
        result = qb.list_qianbao(
            qianbao_scope(g.user), filters, page=page_number, per_page=PER_PAGE
        )
    html = render_template(
        "gongwen/qianbao_list.html",
        result=result,
        where=where_documents_are((d.id, d.instance_id, d.urgency) for d in result.items),
        drafters=qb.drafter_names(result.items),
        filters=filters,
        errors=errors,
        args=request.args,
        now=clock.now(),
        statuses=STATUS,
        columns=COLUMNS,
        labels=labels,
    )
    return html, 422 if errors else 200


def _visible(document_id: int) -> GongwenDocument:
    return qb.visible_qianbao(document_id, qianbao_scope(g.user))


@bp.get("/qianbao/<int:document_id>")
@login_required
def qianbao_page(document_id: int) -> str:
    document = _visible(document_id)
    latest = versions.latest_version(document.id)
    body = sanitise_html(latest.html or "") if latest and latest.kind == "html" else ""
    return render_template(
        "gongwen/qianbao.html",
        document=document,
        where=where_document_is(document),
        files=queries.document_files(document.id),
        body=body,
        drafter=queries.user_names([document.drafter_id]).get(document.drafter_id, ""),
        statuses=STATUS,
        labels=labels,
    )


@bp.get("/qianbao/<int:document_id>/files/<int:file_id>")
@login_required
def qianbao_file(document_id: int, file_id: int) -> Response:
    stored = queries.document_file(_visible(document_id).id, file_id)
    return send_file(
        io.BytesIO(stored.content),
        mimetype=download_type(stored.filename),
        as_attachment=True,
        download_name=stored.filename,
    )
