"""流程实例: timeline, diagram with the path taken, current assignees; 关注 on and off.

Visible to participants (the starter, anyone who had a task in it) and supervisors; the diagram's
JSON endpoint applies the same check.
"""

from __future__ import annotations

from typing import Any

from flask import flash, g, jsonify, redirect, render_template, url_for
from werkzeug.wrappers import Response

from engine import api
from engine.definitions import repository
from services import clock
from services.db import db
from services.errors import NotFound
from services.workbench import follow
from web.security import login_required
from web.workbench import access, bp
from web.workbench import history as hist
from web.workbench.circulation import circulation_context
from web.workbench.durations import step_times
from web.workbench.inbox import URGENCIES, process_name

STATUS_LABELS = {
    "running": "办理中",
    "suspended": "已挂起",
    "completed": "已办结",
    "terminated": "已终止",
    "error": "异常",
}


def current_assignees(tasks: list[api.TaskView]) -> list[dict[str, Any]]:
    """Each open task with who holds it (or how many may 签收 it) and whether it is overdue."""
    names = hist.user_names({t.assignee_id for t in tasks})
    return [
        {
            "task": t,
            "who": names.get(t.assignee_id, "")
            if t.assignee_id
            else f"待签收（{access.candidate_count(t.id)} 人）",
        }
        for t in tasks
    ]


@bp.get("/instances/<int:instance_id>")
@login_required
def instance_page(instance_id: int) -> str:
    instance = access.visible_instance(instance_id, g.user)
    events = api.history(instance_id)
    tasks = access.open_tasks(instance_id)
    return render_template(
        "workbench/instance.html",
        instance=instance,
        starter=hist.user_names({instance.starter_id}).get(instance.starter_id, ""),
        process_name=process_name(instance.process_key),
        timeline=hist.timeline(events),
        step_times=step_times(instance_id),
        current=current_assignees(tasks),
        overdue=any(t.overdue for t in tasks),
        following=follow.is_following(g.user.id, instance_id),
        status_labels=STATUS_LABELS,
        urgencies=URGENCIES,
        now=clock.now(),
        **circulation_context(instance, g.user.id),
    )


def process_xml(instance: api.InstanceView) -> str:
    """The BPMN XML of the instance's version: the file that defines its process."""
    files = repository.get_version(instance.version_id).files
    marker = f'id="{instance.process_key}"'
    for name, text in sorted(files.items()):
        if name.endswith(".bpmn") and marker in text:
            return str(text)
    raise NotFound("流程图文件不存在", instance_id=instance.id)


@bp.get("/instances/<int:instance_id>/diagram.json")
@login_required
def diagram(instance_id: int) -> Response:
    instance = access.visible_instance(instance_id, g.user)
    current = [t.task_spec for t in access.open_tasks(instance_id)]
    passed = [n for n in hist.passed_nodes(api.history(instance_id)) if n not in current]
    return jsonify(xml=process_xml(instance), completed=passed, current=current)


@bp.post("/instances/<int:instance_id>/follow")
@login_required
def follow_instance(instance_id: int) -> Response:
    access.visible_instance(instance_id, g.user)
    follow.follow(g.user.id, instance_id)
    db.session.commit()
    flash("已关注该流程。", "success")
    return redirect(url_for("workbench.instance_page", instance_id=instance_id))


@bp.post("/instances/<int:instance_id>/unfollow")
@login_required
def unfollow_instance(instance_id: int) -> Response:
    access.visible_instance(instance_id, g.user)
    follow.unfollow(g.user.id, instance_id)
    db.session.commit()
    flash("已取消关注。", "success")
    return redirect(url_for("workbench.instance_page", instance_id=instance_id))
