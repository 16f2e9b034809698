"""委托设置: a user lists, creates and revokes their own delegation rules, and sees the tasks that
went to their delegates. Times are entered in Beijing time; mistakes re-render the page (422)
with the input kept and Chinese messages by the fields."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import flash, g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from engine import api
from services import clock
from services.db import db
from services.errors import Conflict, Forbidden, NotFound, ValidationFailed
from services.org import directory
from web.filters import BEIJING
from web.security import login_required
from web.workbench import bp
from web.workbench import history as hist
from web.workbench.inbox import process_choices

NOT_YOURS = "只能撤销本人的委托"


def _moment(name: str, label: str, errors: dict[str, str]) -> datetime | None:
    """A ``datetime-local`` field (Beijing time) as a UTC instant."""
    text = request.form.get(name, "").strip()
    if not text:
        errors[name] = f"请填写{label}"
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        errors[name] = f"{label}格式有误，应为 年-月-日 时:分"
        return None
    return value.replace(tzinfo=BEIJING).astimezone(UTC)


def _delegate_id(errors: dict[str, str]) -> int | None:
    picked = request.form.get("delegate_id", "").strip()
    if picked.isdigit() and len(picked) < 10:
        return int(picked)
    typed = request.form.get("delegate_username", "").strip()
    user = directory.get_user_by_username(typed) if typed else None
    if user is None or not user.active:
        errors["delegate_id"] = "请选择受托人" if not typed else f"找不到在职人员：{typed}"
        return None
    return int(user.id)


def parse_rule() -> dict[str, Any]:
    """The new rule from the form; ValidationFailed lists every field in error."""
    errors: dict[str, str] = {}
    rule = {
        "delegate_id": _delegate_id(errors),
        "starts_at": _moment("starts_at", "开始时间", errors),
        "ends_at": _moment("ends_at", "结束时间", errors),
        "process_keys": [k for k in request.form.getlist("process_keys") if k][:50],
        "reason": request.form.get("reason", "").strip(),
    }
    if len(rule["reason"]) > 300:
        errors["reason"] = "委托事由不能超过 300 个字"
    if errors:
        raise ValidationFailed("委托设置有误，请检查后重新提交", errors=errors)
    return rule


def _page(errors: dict[str, str] | None = None, message: str | None = None) -> str:
    rules = api.delegation_rules(g.user.id)
    tasks = api.delegated_tasks(g.user.id)
    names = hist.user_names({r.delegate_id for r in rules} | {t.assignee_id for t in tasks})
    return render_template(
        "workbench/delegations.html",
        rules=rules,
        tasks=tasks,
        names=names,
        processes=process_choices(),
        errors=errors or {},
        message=message,
        form=request.form if request.method == "POST" else {},
        now=clock.now(),
    )


@bp.get("/delegations")
@login_required
def delegations() -> str:
    return _page()


@bp.post("/delegations")
@login_required
def create_delegation() -> Response | tuple[str, int]:
    try:
        rule = parse_rule()
        api.delegate(g.user.id, **rule)
    except (ValidationFailed, Conflict) as exc:
        db.session.rollback()
        status = 409 if isinstance(exc, Conflict) else 422
        return _page(getattr(exc, "errors", {}), exc.message), status
    db.session.commit()
    flash("委托已设置。", "success")
    return redirect(url_for("workbench.delegations"))


@bp.post("/delegations/<int:delegation_id>/revoke")
@login_required
def revoke_delegation(delegation_id: int) -> Response:
    try:
        api.revoke_delegation(delegation_id, actor_id=g.user.id)
    except NotFound as exc:  # answer like someone else's rule: ids are not probed this way
        raise Forbidden(NOT_YOURS) from exc
    db.session.commit()
    flash("委托已撤销。", "success")
    return redirect(url_for("workbench.delegations"))
