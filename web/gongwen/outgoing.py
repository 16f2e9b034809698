"""发文列表 (filters, column sorting, paging, where each document waits) and the 发文登记本
exports. Everything is limited to the user's data scope within their own unit."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from typing import Any

from flask import g, render_template, request, send_file
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from services import clock
from services.errors import ValidationFailed
from services.gongwen import queries, register
from services.gongwen.documents import beijing_today
from services.gongwen.models import DOC_TYPES, IMPORTANCE_LEVELS, SECRECY_LEVELS, STATUSES
from web.gongwen import bp, labels
from web.gongwen.scope import user_scope
from web.gongwen.tracking import Where, where_documents_are
from web.office_types import DOCX, XLSX
from web.security import login_required

PER_PAGE = 20
DATE_FIELDS = {
    "drafted_from": "拟稿日期（起）",
    "drafted_to": "拟稿日期（止）",
    "issued_from": "成文日期（起）",
    "issued_to": "成文日期（止）",
}


def parse_filters(args: MultiDict[str, str]) -> tuple[queries.OutgoingFilters, dict[str, str]]:
    """The list's filters from the query string, with Chinese messages for bad values."""
    errors: dict[str, str] = {}
    values: dict[str, Any] = {
        name: (args.get(name) or "").strip() or None
        for name in ("doc_type", "status", "secrecy", "importance", "urgency")
    }
    values["keyword"] = (args.get("q") or "").strip() or None
    values["year"] = _year(args.get("year"), errors)
    for name, label in DATE_FIELDS.items():
        values[name] = _date(args.get(name), label, name, errors)
    values["sort"] = args.get("sort") or "drafted"
    values["descending"] = args.get("dir", "desc") != "asc"
    filters = queries.OutgoingFilters(**values)
    try:
        queries.check_filters(filters)
    except ValidationFailed as exc:
        errors.update(exc.errors or {})
    return filters, errors


def _year(raw: str | None, errors: dict[str, str]) -> int | None:
    if not raw:
        return None
    if not raw.strip().isdigit() or not 1949 <= int(raw) <= 2999:
        errors["year"] = "年度应为四位数字，如 2025"
        return None
    return int(raw)


def _date(raw: str | None, label: str, name: str, errors: dict[str, str]) -> date | None:
    if not raw:
        return None
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        errors[name] = f"{label}格式应为 2025-03-01"
        return None


def _page_number() -> int:
    raw = request.args.get("page", "1")
    return max(1, int(raw)) if raw.isdigit() else 1


def _engine_sorted_page(
    scope: queries.Scope, filters: queries.OutgoingFilters, page: int
) -> tuple[queries.DocumentPage, dict[int, Where]]:
    """Sort by step, holder or waiting time: every match is located, sorted, then paged."""
    keys = queries.outgoing_keys(scope, replace(filters, sort="drafted", descending=True))
    documents = queries.documents_by_id([k for k, _ in keys])
    where = where_documents_are((k, i, documents[k].urgency) for k, i in keys)
    now = clock.now()
    sort_keys: dict[str, Callable[[int], Any]] = {
        "step": lambda k: (where[k].step == "—", where[k].step),
        "holder": lambda k: (not where[k].holder, where[k].holder),
        "waiting": lambda k: where[k].waited(now),
    }
    ordered = sorted((k for k, _ in keys), key=sort_keys[filters.sort], reverse=filters.descending)
    chosen = ordered[(page - 1) * PER_PAGE : page * PER_PAGE]
    items = [documents[k] for k in chosen]
    return queries.DocumentPage(items, len(ordered), page, PER_PAGE), where


@bp.get("/outgoing")
@login_required
def outgoing() -> tuple[str, int]:
    filters, errors = parse_filters(request.args)
    page = _page_number()
    where: dict[int, Where]
    if errors:
        result, where = queries.DocumentPage([], 0, 1, PER_PAGE), {}
    elif filters.sort in queries.ENGINE_SORTS:
        result, where = _engine_sorted_page(user_scope(g.user), filters, page)
    else:
        result = queries.list_outgoing(user_scope(g.user), filters, page=page, per_page=PER_PAGE)
        where = where_documents_are((d.id, d.instance_id, d.urgency) for d in result.items)
    html = render_template(
        "gongwen/outgoing.html",
        result=result,
        where=where,
        filters=filters,
        errors=errors,
        args=request.args,
        now=clock.now(),
        doc_types=DOC_TYPES,
        statuses=STATUSES,
        secrecy_levels=SECRECY_LEVELS[1:],
        importance_levels=IMPORTANCE_LEVELS,
        labels=labels,
        this_year=beijing_today().year,
    )
    return html, 422 if errors else 200


def _register_request() -> tuple[int, str | None]:
    raw_year = request.args.get("year") or str(beijing_today().year)
    errors: dict[str, str] = {}
    year = _year(raw_year, errors)
    if year is None:
        raise ValidationFailed("年度不正确", errors=errors)
    return year, (request.args.get("doc_type") or "").strip() or None


def _register_file(content: bytes, title: str, suffix: str, mimetype: str) -> Response:
    return send_file(
        io.BytesIO(content), mimetype=mimetype, as_attachment=True, download_name=title + suffix
    )


@bp.get("/outgoing/register.xlsx")
@login_required
def register_xlsx() -> Response:
    year, doc_type = _register_request()
    rows = register.register_rows(user_scope(g.user), year, doc_type)
    title = register.register_title(g.user.unit.name, year, doc_type)
    return _register_file(register.register_xlsx(rows, title), title, ".xlsx", XLSX)


@bp.get("/outgoing/register.docx")
@login_required
def register_docx() -> Response:
    year, doc_type = _register_request()
    rows = register.register_rows(user_scope(g.user), year, doc_type)
    title = register.register_title(g.user.unit.name, year, doc_type)
    return _register_file(register.register_docx(rows, title), title, ".docx", DOCX)
