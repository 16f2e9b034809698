"""Tasks: my inbox with filters, one task with its form, claim and complete."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Response, g, jsonify, request

from engine import api
from engine.forms import load_form
from engine.runtime.models import ACTIVE_TASK_STATUSES as ACTIVE_STATUSES
from services.db import db
from services.errors import ValidationFailed
from web.api import bp, serialize
from web.api.access import visible_task
from web.api.instances import instance_json
from web.api.payload import json_body, optional_int, optional_object, query_int, query_text

T = TypeVar("T")
FieldReader = Callable[[dict[str, Any], str], Any]


def act_on_task(task_id: int, action: Callable[..., T], **fields: FieldReader) -> T:
    """Call ``action(task_id, actor_id=<caller>, **values)`` once the caller may see the task.

    Each value is read from the JSON body by its reader, in the order given, so the first bad
    field is the one reported.
    """
    visible_task(task_id, g.user)
    body = json_body()
    values = {name: read(body, name) for name, read in fields.items()}
    return action(task_id, actor_id=g.user.id, **values)


def committed(payload: Any) -> Response:
    """Commit the request's transaction, then answer with ``payload`` as JSON."""
    db.session.commit()
    return jsonify(payload)


@bp.get("/tasks")
def list_tasks() -> Response:
    if request.args.get("scope", "mine") != "mine":
        raise ValidationFailed("不支持的查询范围", errors={"scope": "目前只支持 mine"})
    filters = api.InboxFilters(
        box=query_text("box") or "todo",
        process_key=query_text("process_key"),
        urgency=query_text("urgency"),
        keyword=query_text("keyword"),
        sort=query_text("sort") or "due",
        unit_id=query_int("unit_id", 0) or None,
    )
    page = api.inbox(
        g.user.id, filters=filters, page=query_int("page", 1), per_page=query_int("per_page", 50)
    )
    return jsonify(serialize.page(page, serialize.task))


@bp.get("/tasks/<int(max=2147483647):task_id>")
def get_task(task_id: int) -> Response:
    task = visible_task(task_id, g.user)
    form = serialize.form(load_form(task.form_key))
    # The data the form starts from (e.g. what a 退回 restored); none once the task is closed.
    data = api.task_form_data(task_id) if task.status in ACTIVE_STATUSES else {}
    return jsonify({**serialize.task(task), "form": form, "data": data})


@bp.post("/tasks/<int(max=2147483647):task_id>/claim")
def claim_task(task_id: int) -> Response:
    visible_task(task_id, g.user)
    return committed(serialize.task(api.claim_task(task_id, g.user.id)))


@bp.post("/tasks/<int(max=2147483647):task_id>/complete")
def complete_task(task_id: int) -> Response:
    instance = act_on_task(
        task_id, api.complete_task, data=optional_object, expected_revision=optional_int
    )
    return committed(instance_json(instance))
