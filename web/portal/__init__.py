"""Portal: the home page that aggregates to-dos, notices and news, and the notification bell."""

from __future__ import annotations

from flask import Blueprint, g, redirect, render_template, url_for
from werkzeug.wrappers import Response

from engine import api
from services.calendar import entries as calendar_entries
from services.db import db
from services.gongwen.documents import beijing_today
from services.notify import inapp
from services.org import grants
from services.org.roles import SYSADMIN
from web.security import login_required

bp = Blueprint("portal", __name__)


@bp.app_context_processor
def inject_unread() -> dict[str, int]:
    user = g.get("user")
    g.unread_count = inapp.unread_count(user.id) if user is not None else 0
    return {}


@bp.get("/")
@login_required
def home() -> str:
    notes = inapp.latest(g.user.id, limit=8)
    newest = api.InboxFilters(sort="created")
    todo = api.inbox(g.user.id, filters=newest, per_page=5)
    return render_template(
        "portal/home.html", notes=notes, todo=todo, calendar_gaps=_calendar_gaps()
    )


def _calendar_gaps() -> list[int]:
    """For the 系统管理员 only: years whose 放假安排 is still to be imported."""
    if not grants.has_role(g.user, SYSADMIN):
        return []
    return calendar_entries.missing_years(beijing_today())


@bp.get("/todo")
@login_required
def todo() -> str:
    return render_template("portal/todo.html")


@bp.get("/notifications")
@login_required
def notifications() -> str:
    return render_template("portal/notifications.html", notes=inapp.latest(g.user.id, limit=100))


@bp.post("/notifications/read")
@login_required
def notifications_read() -> Response:
    inapp.mark_all_read(g.user.id)
    db.session.commit()
    return redirect(url_for("portal.notifications"))
