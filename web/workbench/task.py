"""办理页: business summary, the task's form, opinions, the diagram and the actions.

GET shows the form to the holder (or 签收 to a candidate, or the outcome to others who may see
it). POST parses and validates the form, then completes the task; errors re-render with the
input kept (422), and a task someone already handled shows that instead of the form (409).
"""

from __future__ import annotations

from typing import Any

from flask import flash, g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from engine import api
from engine.forms import FormSpec, load_form
from services.db import db
from services.errors import Conflict, ValidationFailed
from services.org import directory
from web.forms.attachments import store_uploads
from web.forms.parse import author_of, parse_submission
from web.forms.render import FormView, render_form
from web.security import login_required
from web.workbench import access, bp
from web.workbench import history as hist
from web.workbench.circulation import circulation_context
from web.workbench.inbox import URGENCIES, process_name

STALE_MESSAGE = "该任务已办理完毕或已被他人处理，无需再次提交。"


def task_context(task: api.TaskView, events: list[api.EventView]) -> dict[str, Any]:
    """What every rendering of the task page needs besides the form."""
    instance = api.get_instance(task.instance_id)
    return {
        "task": task,
        "instance": instance,
        "starter": hist.user_names({instance.starter_id}).get(instance.starter_id, ""),
        "process_name": process_name(instance.process_key),
        "opinions": hist.opinions(events),
        "urgencies": URGENCIES,
        "may_claim": _claimable(task) and access.is_candidate(task.id, g.user.id),
        "is_holder": task.completed_at is None and task.assignee_id == g.user.id,
        "operations": available_operations(),
        "return_targets": _return_targets(task),
        "sent_back": hist.sent_back_to(events, task.task_spec)
        if task.completed_at is None
        else None,
        **circulation_context(instance, g.user.id),
    }


def available_operations() -> dict[str, bool]:
    """Which optional actions the engine offers (buttons of missing ones show disabled)."""
    names = {
        "send_back": "send_back",
        "reassign": "reassign_task",
        "add_signer": "add_signer",
        "withdraw": "withdraw_task",
    }
    return {op: hasattr(api, attr) for op, attr in names.items()}


def _claimable(task: api.TaskView) -> bool:
    return task.completed_at is None and task.assignee_id is None


def _return_targets(task: api.TaskView) -> list[Any]:
    if task.completed_at is not None or task.assignee_id != g.user.id:
        return []
    if not hasattr(api, "returnable_targets"):
        return []
    return list(api.returnable_targets(task.id))


def _render(
    task: api.TaskView,
    events: list[api.EventView],
    form: FormView | None,
    status: int,
    message: str | None = None,
) -> tuple[str, int]:
    context = task_context(task, events)
    page = render_template("workbench/task.html", form=form, message=message, **context)
    return page, status


@bp.get("/tasks/<int:task_id>")
@login_required
def task_page(task_id: int) -> tuple[str, int]:
    task = access.visible_task(task_id, g.user)
    events = api.history(task.instance_id)
    if task.completed_at is not None or task.status not in ("open", "claimed"):
        return _render(task, events, None, 200, STALE_MESSAGE)
    spec = load_form(task.form_key)
    errors = service_errors(spec, task.id)
    form = render_form(spec, previous=hist.submitted_data(events), errors=errors)
    return _render(task, events, form, 200)


def service_errors(spec: FormSpec, task_id: int) -> dict[str, str]:
    """Errors a service task found in this form's last submission, keyed by field name.

    A form names the process variable in its ui ``x-errorsFrom``; when that variable holds
    ``{"ok": false, "errors": {field: message}}`` (e.g. ``gongwen.save`` refusing a 请示 with
    two 主送机关), the process came back to this step for a fix and the errors show next to the
    fields, as if the server had rejected the form itself.
    """
    variable = spec.ui.get("x-errorsFrom")
    if not variable:
        return {}
    result = api.task_form_data(task_id).get(str(variable))
    if not isinstance(result, dict) or result.get("ok") is not False:
        return {}
    errors = result.get("errors")
    if not isinstance(errors, dict):
        return {}
    return {str(name): str(message) for name, message in errors.items()}


@bp.post("/tasks/<int:task_id>")
@login_required
def task_submit(task_id: int) -> Response | tuple[str, int]:
    task = access.visible_task(task_id, g.user)
    events = api.history(task.instance_id)
    spec = load_form(task.form_key)
    previous = hist.submitted_data(events)
    submission = parse_submission(
        spec, request.form, request.files, previous=previous, author=author_of(g.user)
    )
    if not submission.ok:
        form = render_form(spec, raw=submission.raw, errors=submission.errors, previous=previous)
        return _render(task, events, form, 422)
    try:
        # Files go into the same transaction as the completion: both stay, or neither.
        store_uploads(
            submission, uploader_id=g.user.id, instance_id=task.instance_id, task_id=task_id
        )
        api.complete_task(task_id, actor_id=g.user.id, data=submission.data)
    except Conflict as exc:
        db.session.rollback()
        return _render(api.get_task(task_id), events, None, 409, exc.message)
    except ValidationFailed as exc:
        db.session.rollback()
        form = render_form(spec, raw=submission.raw, errors=exc.errors, previous=previous)
        return _render(task, events, form, 422)
    db.session.commit()
    return _after_complete(task)


def _after_complete(task: api.TaskView) -> Response:
    """On to my next task of the same instance if there is one, else back to the inbox."""
    mine = [t for t in access.open_tasks(task.instance_id) if t.assignee_id == g.user.id]
    if mine and mine[0].form_key and service_errors(load_form(mine[0].form_key), mine[0].id):
        flash(f"“{task.name}”已提交，但内容未通过校验，请按提示修改后重新提交。", "error")
    else:
        flash(f"“{task.name}”已提交。", "success")
    if mine:
        return redirect(url_for("workbench.task_page", task_id=mine[0].id))
    return redirect(url_for("workbench.index"))


def resolve_user(text: str) -> int:
    """A person named by 登录名 in an action form (ValidationFailed when unknown)."""
    user = directory.get_user_by_username(text.strip()) if text.strip() else None
    if user is None or not user.active:
        raise ValidationFailed("找不到该人员", errors={"user": "请输入有效的登录名"})
    return int(user.id)
