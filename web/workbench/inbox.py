"""待办中心: the tabs 待办 / 待阅 / 已办 / 我发起的 / 关注, with filters, counts and 签收."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from flask import flash, g, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from engine import api
from engine.definitions.models import ProcessDefinition
from services import clock
from services.db import db
from services.errors import ValidationFailed
from services.org import directory
from services.workbench import follow
from web.filters import BEIJING
from web.security import login_required
from web.workbench import access, bp
from web.workbench import history as hist

TABS = ("todo", "toread", "claimable", "done", "started", "following")
TAB_LABELS = {
    "todo": "待办",
    "toread": "待阅",
    "claimable": "待签收",
    "done": "已办",
    "started": "我发起的",
    "following": "关注",
}
URGENCIES = {"normal": "平件", "urgent": "加急", "very_urgent": "特急"}
PER_PAGE = 20
NEAR_DUE = timedelta(hours=24)


@dataclass(frozen=True)
class Query:
    """The inbox page's request arguments, parsed."""

    tab: str
    page: int
    filters: api.InboxFilters
    date_from: str
    date_to: str
    overdue_only: bool
    # 待阅: unread (default) or read items.
    read_state: str = "unread"


def parse_query() -> Query:
    """Tab, page and filters from the query string (bad values become ValidationFailed)."""
    args = request.args
    tab = args.get("tab", "todo")
    if tab not in TABS:
        raise ValidationFailed("未知的待办分类", errors={"tab": "请从页面上的标签进入"})
    date_from, date_to = args.get("from", ""), args.get("to", "")
    overdue_only = args.get("overdue") == "1"
    filters = api.InboxFilters(
        box="overdue" if overdue_only and tab == "todo" else _box(tab),
        process_key=args.get("process") or None,
        urgency=args.get("urgency") or None,
        keyword=(args.get("q") or "").strip() or None,
        sort=args.get("sort", "due"),
        created_from=_day_start(date_from, "from"),
        created_to=_day_start(date_to, "to", next_day=True),
        unit_id=_unit_id(args.get("unit", "")),
    )
    read_state = "read" if args.get("state") == "read" else "unread"
    return Query(
        tab,
        _page_number(args.get("page", "1")),
        filters,
        date_from,
        date_to,
        overdue_only,
        read_state,
    )


def _unit_id(text: str) -> int | None:
    if not text:
        return None
    if not text.isdigit() or len(text) > 9:
        raise ValidationFailed("单位有误", errors={"unit": "请从列表中选择单位"})
    return int(text)


def _box(tab: str) -> str:
    return tab if tab in ("todo", "claimable", "done") else "todo"


def _page_number(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise ValidationFailed("页码有误", errors={"page": "页码应为正整数"})
    return int(text)


def _day_start(text: str, name: str, *, next_day: bool = False) -> datetime | None:
    """A Beijing calendar day (YYYY-MM-DD) as the UTC instant it starts (or the next one)."""
    if not text:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError as exc:
        raise ValidationFailed("日期格式有误", errors={name: "日期应为 年-月-日"}) from exc
    if next_day:
        day += timedelta(days=1)
    return datetime.combine(day, time(), BEIJING).astimezone(UTC)


def tab_counts(user_id: int) -> dict[str, int]:
    """The number shown on each tab (unfiltered)."""

    def total(box: str) -> int:
        return api.inbox(user_id, filters=api.InboxFilters(box=box), per_page=1).total

    return {
        "todo": total("todo"),
        "toread": api.toread_count(user_id),
        "claimable": total("claimable"),
        "done": total("done"),
        "started": api.started_instances(user_id, per_page=1).total,
        "following": follow.count(user_id),
    }


def listing(user_id: int, query: Query) -> api.Page:
    """The page of rows for the tab: tasks, or instances for 我发起的 / 关注."""
    if query.tab == "toread":
        return api.toread(
            user_id,
            state=query.read_state,
            unit_id=query.filters.unit_id,
            keyword=query.filters.keyword,
            page=query.page,
            per_page=PER_PAGE,
        )
    if query.tab == "started":
        return api.started_instances(user_id, page=query.page, per_page=PER_PAGE)
    if query.tab == "following":
        ids = follow.followed_ids(user_id, page=query.page, per_page=PER_PAGE)
        items = [api.get_instance(i) for i in ids]
        return api.Page(items, follow.count(user_id), query.page, PER_PAGE)
    return api.inbox(user_id, filters=query.filters, page=query.page, per_page=PER_PAGE)


def process_choices() -> list[tuple[str, str]]:
    """(key, name) of every deployed process for the filter; names only, so that no version
    (with its stored files and spec) is loaded on every inbox view."""
    rows = db.session.execute(
        select(ProcessDefinition.key, ProcessDefinition.name).order_by(ProcessDefinition.key)
    )
    return [(row.key, row.name) for row in rows]


def process_name(key: str) -> str:
    """The Chinese name of a deployed process (its key when it has none), for page summaries."""
    name = db.session.scalar(select(ProcessDefinition.name).where(ProcessDefinition.key == key))
    return name or key


def unit_choices() -> list[tuple[int, str]]:
    """(id, short name) of the active units for the 单位 filter, in the directory's order."""
    return [(int(u.id), u.short_name) for u in directory.search_units("", limit=500)]


def due_state(due_at: datetime | None, now: datetime) -> str:
    """'overdue', 'near' (due within a day) or '' for the row's highlighting."""
    if due_at is None:
        return ""
    if due_at < now:
        return "overdue"
    return "near" if due_at - now <= NEAR_DUE else ""


@bp.get("/")
@login_required
def index() -> str:
    query = parse_query()
    page = listing(g.user.id, query)
    return render_template(
        "workbench/inbox.html",
        query=query,
        page=page,
        counts=tab_counts(g.user.id),
        tabs=TAB_LABELS,
        urgencies=URGENCIES,
        processes=process_choices(),
        units=unit_choices(),
        sender_names=_sender_names(page) if query.tab == "toread" else {},
        instance_titles=instance_titles(page),
        now=clock.now(),
        due_state=due_state,
        page_url=lambda n: url_for("workbench.index", **{**request.args, "page": n}),
    )


@bp.post("/tasks/<int:task_id>/claim")
@login_required
def claim(task_id: int) -> Response:
    access.visible_task(task_id, g.user)  # another unit's task: 403, not a 409 telling its state
    api.claim_task(task_id, g.user.id)
    db.session.commit()
    flash("已签收，任务已进入您的待办。", "success")
    return redirect(url_for("workbench.task_page", task_id=task_id))


def instance_titles(page: api.Page) -> dict[int, str]:
    """{task id: its instance's title} for tasks whose title does not name the instance: a
    step titled only “发文拟稿” (e.g. sent back to the drafter) must still say which document."""
    tasks = [t for t in page.items if isinstance(t, api.TaskView)]
    titles = {i: api.get_instance(i).title for i in {t.instance_id for t in tasks}}
    return {
        t.id: titles[t.instance_id]
        for t in tasks
        if titles[t.instance_id] and titles[t.instance_id] not in (t.title or "")
    }


def _sender_names(page: api.Page) -> dict[int, str]:
    return hist.user_names({item.sender_id for item in page.items})
