"""传阅 and 催办 through the API: circulate an instance, my 待阅 items, batch 阅知, recall, the
read receipts of an instance, and urging an open task. The same rules as the pages: the
instance must be visible to the caller, then the engine decides who may do what."""

from __future__ import annotations

from typing import Any

from flask import Response, g, jsonify, url_for

from engine import api
from services.db import db
from services.errors import ValidationFailed
from web.api import bp, serialize
from web.api.payload import (
    MAX_INT,
    json_body,
    optional_int,
    optional_text,
    query_int,
    query_text,
)
from web.workbench.access import task_of_visible_instance, visible_instance

MAX_IDS = 500


def id_list(body: dict[str, Any], name: str) -> list[int]:
    """A list of positive ids (missing or null gives ``[]``)."""
    value = body.get(name)
    if value is None:
        return []
    if (
        not isinstance(value, list)
        or len(value) > MAX_IDS
        or not all(
            isinstance(v, int) and not isinstance(v, bool) and 0 < v <= MAX_INT for v in value
        )
    ):
        message = f"应为正整数编号的列表，最多 {MAX_IDS} 个"
        raise ValidationFailed("字段格式有误", errors={name: message})
    return value


def reading(view: api.ReadingView) -> dict[str, Any]:
    """A 待阅 item with its read receipt."""
    return serialize.view(view)


@bp.post("/process-instances/<int(max=2147483647):instance_id>/circulations")
def circulate(instance_id: int) -> tuple[Response, int]:
    visible_instance(instance_id, g.user)
    body = json_body()
    circulation_id, readers = api.circulate(
        instance_id,
        sender_id=g.user.id,
        user_ids=id_list(body, "user_ids"),
        department_ids=id_list(body, "department_ids"),
        unit_ids=id_list(body, "unit_ids"),
        note=optional_text(body, "note", 500) or "",
        task_id=_task_id(body),
        link=url_for("workbench.instance_page", instance_id=instance_id),
    )
    db.session.commit()
    return jsonify({"id": circulation_id, "reader_ids": readers}), 201


def _task_id(body: dict[str, Any]) -> int | None:
    task_id = optional_int(body, "task_id")
    if task_id is not None and task_id < 1:
        raise ValidationFailed("字段格式有误", errors={"task_id": "应为任务编号"})
    return task_id


@bp.get("/process-instances/<int(max=2147483647):instance_id>/readings")
def instance_readings(instance_id: int) -> Response:
    visible_instance(instance_id, g.user)
    return jsonify([reading(r) for r in api.reading_list(instance_id)])


@bp.post("/circulations/<int(max=2147483647):circulation_id>/recall")
def recall(circulation_id: int) -> Response:
    body = json_body()
    item_ids = id_list(body, "item_ids") if body.get("item_ids") is not None else None
    count = api.recall_circulation(circulation_id, actor_id=g.user.id, item_ids=item_ids)
    db.session.commit()
    return jsonify({"id": circulation_id, "recalled": count})


@bp.get("/readings")
def my_readings() -> Response:
    unit_id = query_int("unit_id", 0) or None
    page = api.toread(
        g.user.id,
        state=query_text("state") or "unread",
        unit_id=unit_id,
        keyword=query_text("keyword"),
        page=query_int("page", 1),
        per_page=query_int("per_page", 50),
    )
    return jsonify(serialize.page(page, reading))


@bp.post("/readings/read")
def read_readings() -> Response:
    body = json_body()
    ids = id_list(body, "ids")
    count = api.read_item(
        ids, reader_id=g.user.id, comment=optional_text(body, "comment", 500) or ""
    )
    db.session.commit()
    return jsonify({"read": count, "unread": api.toread_count(g.user.id)})


@bp.post("/tasks/<int(max=2147483647):task_id>/urge")
def urge(task_id: int) -> Response:
    task_of_visible_instance(task_id, g.user)
    body = json_body()
    notified = api.urge_task(
        task_id,
        actor_id=g.user.id,
        message=optional_text(body, "message", 300) or "",
        link=url_for("workbench.task_page", task_id=task_id),
    )
    db.session.commit()
    return jsonify({"task_id": task_id, "notified_user_ids": notified})
