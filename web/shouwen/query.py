"""收文查询 (filters, sorting, paging, also as JSON), the 收文登记本 exports and the 收文统计.
Everything is limited to the user's 收文 scope within their own unit."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

from flask import g, render_template, request, send_file
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from engine import api
from services.errors import ValidationFailed
from services.gongwen import exchange, incoming_facts, register
from services.gongwen import incoming_queries as iq
from services.gongwen.documents import beijing_today
from services.gongwen.exchange_models import CATEGORIES, RECEIPT_CLASSES, STATUSES
from services.org.models import User
from web.office_types import DOCX, XLSX
from web.security import login_required
from web.shouwen import bp

PER_PAGE = 20
TEXT_FIELDS = (
    "doc_number", "receipt_number", "title", "from_unit", "category", "receipt_class", "status",
)  # fmt: skip
SORT_HEADERS = (
    ("receipt_number", "收文号"),
    ("received", "收文日期"),
    ("from_unit", "来文单位"),
    (None, "来文文号"),
    ("title", "标题"),
    ("category", "类别"),
    ("receipt_class", "收文类别"),
    ("deadline", "办理期限"),
    (None, "档号"),
    ("status", "状态"),
)


def incoming_scope(user: User) -> iq.IncomingScope:
    """What ``user`` may see of their own unit's 收文 (never another unit's)."""
    if exchange.may_use_inbox(user, user.unit_id):
        return iq.IncomingScope(user_id=user.id, unit_id=user.unit_id, whole_unit=True)
    taken_part = api.participated_instances(user.id, iq.unit_instance_ids(user.unit_id))
    return iq.IncomingScope(
        user_id=user.id, unit_id=user.unit_id, instance_ids=frozenset(taken_part)
    )


def parse_filters(args: MultiDict[str, str]) -> tuple[iq.IncomingFilters, dict[str, str]]:
    """The query's filters from the query string, with Chinese messages for bad values."""
    errors: dict[str, str] = {}
    values: dict[str, Any] = {name: (args.get(name) or "").strip() or None for name in TEXT_FIELDS}
    values["keyword"] = (args.get("q") or "").strip() or None
    values["received_from"] = _date(args.get("received_from"), "received_from", errors)
    values["received_to"] = _date(args.get("received_to"), "received_to", errors)
    values["serial"] = _number(args.get("serial"), "serial", "流水号应为正整数", errors)
    values["sort"] = args.get("sort") or "received"
    values["descending"] = args.get("dir", "desc") != "asc"
    filters = iq.IncomingFilters(**values)
    try:
        iq.check_filters(filters)
    except ValidationFailed as exc:
        errors.update(exc.errors or {})
    return filters, errors


def _date(raw: str | None, name: str, errors: dict[str, str]) -> date | None:
    if not raw or not raw.strip():
        return None
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        errors[name] = "日期格式应为 2025-03-01"
        return None


def _number(raw: str | None, name: str, message: str, errors: dict[str, str]) -> int | None:
    if not raw or not raw.strip():
        return None
    if not raw.strip().isdigit():
        errors[name] = message
        return None
    return int(raw)


def _page_number() -> int:
    raw = request.args.get("page", "1")
    return max(1, int(raw)) if raw.isdigit() else 1


def _query_result() -> tuple[iq.IncomingFilters, dict[str, str], iq.IncomingPage]:
    filters, errors = parse_filters(request.args)
    if errors:
        return filters, errors, iq.IncomingPage([], 0, 1, PER_PAGE)
    scope = incoming_scope(g.user)
    return filters, errors, iq.list_incoming(scope, filters, page=_page_number(), per_page=PER_PAGE)


@bp.get("/query")
@login_required
def query() -> tuple[str, int]:
    filters, errors, result = _query_result()
    html = render_template(
        "shouwen/query.html",
        result=result,
        filters=filters,
        errors=errors,
        args=request.args,
        categories=CATEGORIES,
        classes=RECEIPT_CLASSES,
        statuses=STATUSES,
        sort_headers=SORT_HEADERS,
        this_year=beijing_today().year,
        keeper=exchange.may_use_inbox(g.user, g.user.unit_id),
        archive_codes=_archive_codes(result),
    )
    return html, 422 if errors else 200


def _archive_codes(result: iq.IncomingPage) -> dict[int, str]:
    return incoming_facts.archive_codes([r.document_id for r in result.items])


@bp.get("/query.json")
@login_required
def query_json() -> tuple[dict[str, object], int]:
    """The same query for scripts: the same scope as the page."""
    _, errors, result = _query_result()
    if errors:
        return {"error": "查询条件有误", "errors": errors}, 422
    codes = _archive_codes(result)
    items = [_json_record(r) | {"archive_code": codes.get(r.document_id)} for r in result.items]
    return {"total": result.total, "page": result.page, "items": items}, 200


def _json_record(record: Any) -> dict[str, object]:
    return {
        "id": record.id,
        "receipt_number": record.receipt_number,
        "title": record.document.title,
        "from_unit": record.from_unit,
        "from_doc_number": record.from_doc_number,
        "category": record.category,
        "receipt_class": record.receipt_class or None,
        "status": record.status,
        "received_date": record.received_date.isoformat() if record.received_date else None,
    }


# ---------------------------------------------------------------- 收文登记本


def _register_request() -> tuple[int, int | None, str | None, str | None]:
    errors: dict[str, str] = {}
    year_message, month_message = "年度应为四位数字，如 2025", "月份应为 1 到 12"
    raw_year = request.args.get("year") or str(beijing_today().year)
    year = _number(raw_year, "year", year_message, errors)
    if year is not None and not 1949 <= year <= 2999:
        errors["year"] = year_message
    month = _number(request.args.get("month"), "month", month_message, errors)
    if month is not None and not 1 <= month <= 12:
        errors["month"] = month_message
    receipt_class = (request.args.get("receipt_class") or "").strip() or None
    if receipt_class is not None and receipt_class not in RECEIPT_CLASSES:
        errors["receipt_class"] = "收文类别应为收报、收抄或收办"
    if errors:
        raise ValidationFailed("登记本条件有误", errors=errors)
    category = (request.args.get("category") or "").strip() or None
    return int(year or 0), month, category, receipt_class


def _register() -> tuple[register.Table, str]:
    year, month, category, receipt_class = _register_request()
    scope = incoming_scope(g.user)
    records = iq.register_records(scope, year, month, category, receipt_class)
    title = iq.register_title(g.user.unit.name, year, month, category, receipt_class)
    return iq.register_table(records), title


def _download(content: bytes, name: str, mimetype: str) -> Response:
    return send_file(io.BytesIO(content), mimetype=mimetype, as_attachment=True, download_name=name)


@bp.get("/register.xlsx")
@login_required
def register_xlsx() -> Response:
    table, title = _register()
    return _download(register.tables_xlsx(title, [table]), title + ".xlsx", XLSX)


@bp.get("/register.docx")
@login_required
def register_docx() -> Response:
    table, title = _register()
    return _download(register.table_docx(title, table), title + ".docx", DOCX)


# ---------------------------------------------------------------- 收文统计


def _period() -> tuple[date, date]:
    errors: dict[str, str] = {}
    today = beijing_today()
    first = _date(request.args.get("from"), "from", errors) or date(today.year, 1, 1)
    last = _date(request.args.get("to"), "to", errors) or today
    if errors:
        raise ValidationFailed("统计期间有误", errors=errors)
    return first, last


def _stats() -> tuple[iq.IncomingStats, date, date]:
    first, last = _period()
    return iq.incoming_stats(incoming_scope(g.user), first, last), first, last


@bp.get("/stats")
@login_required
def stats() -> str:
    result, first, last = _stats()
    return render_template(
        "shouwen/stats.html", stats=result, tables=iq.stats_tables(result), first=first, last=last
    )


@bp.get("/stats.xlsx")
@login_required
def stats_xlsx() -> Response:
    result, first, last = _stats()
    title = f"{g.user.unit.name}收文统计（{first.isoformat()}至{last.isoformat()}）"
    return _download(register.tables_xlsx(title, iq.stats_tables(result)), title + ".xlsx", XLSX)
