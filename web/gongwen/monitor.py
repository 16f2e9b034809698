"""公文监控: the 发文, 收文 and 签报 in the viewer's data scope, configured on their position
(本人/本部门/本单位及下属/全部), with where each one waits and for how long, longest first.

The page only lists: links go to the document pages, which check the object again.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from flask import g, render_template, request

from engine import api
from services import clock
from services.errors import ValidationFailed
from services.gongwen import exchange_models, monitor, queries
from services.gongwen import incoming_queries as iq
from services.gongwen.documents import beijing_today
from services.gongwen.models import STATUSES
from services.org import directory
from services.org.models import User
from web.gongwen import bp, labels
from web.gongwen.outgoing import _page_number
from web.gongwen.qianbao import STATUS as QIANBAO_STATUS
from web.gongwen.qianbao import qianbao_scope
from web.gongwen.scope import user_scope
from web.gongwen.tracking import Where, where_documents_are
from web.security import login_required
from web.shouwen.query import incoming_scope

PER_PAGE = 20
SCOPE_WORDS = {"self": "本人", "department": "本部门", "unit": "本单位及下属", "all": "全部"}


def monitor_scope(user: User) -> monitor.MonitorScope:
    """The lists' own-unit scopes widened by the data scope of the user's position."""
    incoming = incoming_scope(user)
    data_scope = user.position.data_scope if user.position is not None else "self"
    if data_scope == "department" and user.department_id is not None:
        incoming = replace(incoming, instance_ids=incoming.instance_ids | _department_part(user))
    outgoing = _widened(user_scope(user), data_scope, user)
    return monitor.MonitorScope(outgoing, incoming, _widened(qianbao_scope(user), data_scope, user))


def _widened(scope: queries.Scope, data_scope: str, user: User) -> queries.Scope:
    """A 发文 or 签报 scope opened to every unit (全部) or to the units below (本单位及下属)."""
    if data_scope == "all":
        return replace(scope, whole_unit=True, everywhere=True)
    if data_scope == "unit":
        below = frozenset(u.id for u in directory.unit_descendants(user.unit_id))
        return replace(scope, whole_unit=True, below=below)
    return scope


def _department_part(user: User) -> frozenset[int]:
    """The unit's 收文 instances any member of the user's department took part in."""
    assert user.department_id is not None
    instances = iq.unit_instance_ids(user.unit_id)
    found: set[int] = set()
    for member_id in monitor.department_member_ids(user.department_id):
        found |= api.participated_instances(member_id, instances)
    return frozenset(found)


def _filters() -> tuple[monitor.MonitorFilters, dict[str, str]]:
    args = request.args
    filters = monitor.MonitorFilters(
        direction=args.get("direction") or None,
        status=args.get("status") or None,
        overdue=args.get("overdue") == "1",
    )
    try:
        monitor.check_filters(filters)
    except ValidationFailed as exc:
        return monitor.MonitorFilters(), dict(exc.errors or {})
    return filters, {}


def _tracked(keys: list[monitor.MonitorKey]) -> dict[int, Where]:
    """Where each document waits; a 收文 past its 办理期限 and not 办结 counts as a long wait."""
    where = where_documents_are((k.id, k.instance_id, k.urgency) for k in keys)
    today = beijing_today()
    for key in keys:
        if key.deadline is not None and key.deadline < today and not key.finished:
            where[key.id] = replace(where[key.id], long_wait=True)
    return where


def _page_of(
    keys: list[monitor.MonitorKey], overdue: bool, page: int
) -> tuple[list[monitor.MonitorKey], int, dict[int, Where]]:
    """The page's keys, how many matched and where they wait: longest wait first, those with
    nothing waiting after them in their order."""
    where = _tracked(keys)
    if overdue:
        keys = [k for k in keys if where[k.id].long_wait]
    now = clock.now()
    keys.sort(key=lambda k: -where[k.id].waited(now) / timedelta(seconds=1))
    return keys[(page - 1) * PER_PAGE : page * PER_PAGE], len(keys), where


@bp.get("/monitor")
@login_required
def monitor_page() -> tuple[str, int]:
    filters, errors = _filters()
    keys = [] if errors else monitor.monitor_keys(monitor_scope(g.user), filters)
    page = _page_number()
    chosen, total, where = _page_of(keys, filters.overdue, page)
    records = monitor.incoming_by_document([k.id for k in chosen if k.direction == "in"])
    documents = queries.documents_by_id([k.id for k in chosen])
    position = g.user.position
    html = render_template(
        "gongwen/monitor.html",
        rows=[(k, documents[k.id], records.get(k.id), where[k.id]) for k in chosen],
        total=total,
        page=page,
        pages=max(1, -(-total // PER_PAGE)),
        filters=filters,
        errors=errors,
        args=request.args,
        now=clock.now(),
        scope_word=SCOPE_WORDS.get(position.data_scope if position else "self", "本人"),
        directions=monitor.DIRECTIONS,
        out_statuses=[(s, labels.STATUS[s]) for s in STATUSES],
        qianbao_statuses=QIANBAO_STATUS,
        in_statuses=exchange_models.STATUSES,
        labels=labels,
    )
    return html, 422 if errors else 200
