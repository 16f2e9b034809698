"""公文办理分析: per node (and per unit or per person) handling figures of 发文, 收文 and 签报 over
a period, as tables, ECharts bar charts and an .xlsx export.

Shown to unit leaders and 办公室主任 (positions whose data scope is the unit or wider), limited to
their own unit's instances, and to system administrators, who see every unit.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import g, render_template, request, send_file
from sqlalchemy import select
from werkzeug.wrappers import Response

from engine import api
from services.db import db
from services.errors import Forbidden, ValidationFailed
from services.gongwen.documents import beijing_today
from services.gongwen.register import Table, tables_xlsx
from services.org.grants import has_role
from services.org.models import Unit, User
from services.org.roles import SYSADMIN
from web.gongwen import bp
from web.office_types import XLSX
from web.security import login_required

PROCESSES = {"fawen": "发文", "shouwen": "收文", "qianbao": "签报"}
GROUPINGS = {"node": "按环节", "unit": "按单位", "person": "按人员"}
NOT_ALLOWED = "只有单位领导、办公室主任或系统管理员可以查看公文办理分析"


@dataclass(frozen=True)
class Line:
    """One table line in printable text, with the numbers the charts use."""

    label: str
    process: str
    node: str
    unit: str
    person: str
    stats: api.NodeStats

    @property
    def avg_hours(self) -> float | None:
        return _hours(self.stats.avg_seconds)

    @property
    def p90_hours(self) -> float | None:
        return _hours(self.stats.p90_seconds)

    @property
    def overdue_percent(self) -> float:
        return round(self.stats.overdue_rate * 100, 1)


def _hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 3600, 2)


def may_analyse(user: User) -> bool:
    """Unit leaders, 办公室主任 and system administrators."""
    if has_role(user, SYSADMIN):
        return True
    return user.position is not None and user.position.data_scope in ("unit", "all")


def _viewer_unit(user: User) -> int | None:
    if not may_analyse(user):
        raise Forbidden(NOT_ALLOWED)
    return None if has_role(user, SYSADMIN) else user.unit_id


def parse_query(args: Any, unit_id: int | None) -> tuple[api.AnalysisQuery, dict[str, str]]:
    """The analysis query from the query string; bad values fall back and give messages."""
    errors: dict[str, str] = {}
    today = beijing_today()
    date_from = _date(args.get("from"), "开始日期", "from", errors) or today.replace(day=1)
    date_to = _date(args.get("to"), "截止日期", "to", errors) or today
    process = args.get("process") or ""
    if process and process not in PROCESSES:
        errors["process"] = "请选择发文、收文或签报"
    group_by = args.get("group") or "node"
    if group_by not in GROUPINGS:
        errors["group"] = "统计维度不正确"
        group_by = "node"
    keys = (process,) if process in PROCESSES else tuple(PROCESSES)
    return api.AnalysisQuery(keys, date_from, date_to, unit_id, group_by), errors


def _date(raw: str | None, label: str, name: str, errors: dict[str, str]) -> date | None:
    if not raw:
        return None
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        errors[name] = f"{label}格式应为 2025-03-01"
        return None


def analysis_lines(query: api.AnalysisQuery) -> list[Line]:
    """The figures of ``query`` as printable lines."""
    stats = api.task_analysis(query)
    units = _names(Unit, {s.unit_id for s in stats})
    people = _names(User, {s.user_id for s in stats})
    lines = []
    for s in stats:
        unit, person = units.get(s.unit_id, ""), people.get(s.user_id, "")
        process = PROCESSES.get(s.process_key, s.process_key)
        label = "·".join(part for part in (process, s.name, unit, person) if part)
        lines.append(Line(label, process, s.name, unit, person, s))
    return lines


def _names(model: Any, ids: set[int | None]) -> dict[int | None, str]:
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    return {
        row.id: row.name for row in db.session.scalars(select(model).where(model.id.in_(wanted)))
    }


def chart_data(lines: list[Line]) -> dict[str, list[Any]]:
    """What the page's charts draw: one bar per line."""
    return {
        "labels": [line.label for line in lines],
        "avg_hours": [line.avg_hours for line in lines],
        "p90_hours": [line.p90_hours for line in lines],
        "overdue_percent": [line.overdue_percent for line in lines],
    }


def _headers(group_by: str) -> tuple[str, ...]:
    extra = {"node": (), "unit": ("单位",), "person": ("单位", "人员")}[group_by]
    tail = ("件数", "已办", "平均用时(小时)", "P90用时(小时)", "超期数", "超期率(%)", "催办次数")
    return ("流程", "环节", *extra, *tail)


def _cells(line: Line, group_by: str) -> list[str]:
    extra = {"node": [], "unit": [line.unit], "person": [line.unit, line.person]}[group_by]
    s = line.stats
    numbers = [s.total, s.handled, line.avg_hours, line.p90_hours, s.overdue]
    texts = ["" if n is None else str(n) for n in numbers]
    return [line.process, line.node, *extra, *texts, str(line.overdue_percent), str(s.reminders)]


def _title(query: api.AnalysisQuery) -> str:
    return f"公文办理分析（{query.date_from.isoformat()} 至 {query.date_to.isoformat()}）"


@bp.get("/analysis")
@login_required
def analysis() -> tuple[str, int]:
    query, errors = parse_query(request.args, _viewer_unit(g.user))
    try:
        lines = analysis_lines(query)
    except ValidationFailed as exc:
        # The engine names the fields date_from / date_to; the form calls them from / to.
        errors.update({k.removeprefix("date_"): v for k, v in (exc.errors or {}).items()})
        lines = []
    html = render_template(
        "gongwen/analysis.html",
        query=query,
        args=request.args,
        errors=errors,
        processes=PROCESSES,
        groupings=GROUPINGS,
        headers=_headers(query.group_by),
        rows=[_cells(line, query.group_by) for line in lines],
        chart=chart_data(lines),
        title=_title(query),
    )
    return html, 422 if errors else 200


@bp.get("/analysis.xlsx")
@login_required
def analysis_xlsx() -> Response:
    query, errors = parse_query(request.args, _viewer_unit(g.user))
    if errors:
        raise ValidationFailed("统计条件不正确", errors=errors)
    lines = analysis_lines(query)
    headers = _headers(query.group_by)
    table = Table("办理分析", headers, [_cells(line, query.group_by) for line in lines])
    content = tables_xlsx(_title(query), [table])
    return send_file(
        io.BytesIO(content), mimetype=XLSX, as_attachment=True, download_name="公文办理分析.xlsx"
    )
