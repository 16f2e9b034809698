"""Process instances: start, read (status and current tasks), history events."""

from __future__ import annotations

from flask import Response, g, jsonify

from engine import api
from services.db import db
from web.api import bp, serialize
from web.api.access import open_tasks, visible_instance
from web.api.payload import json_body, optional_object, optional_text, required_text


def instance_json(instance: api.InstanceView) -> dict[str, object]:
    """An instance with the tasks it waits on."""
    tasks = [serialize.task(item) for item in open_tasks(instance.id)]
    return {**serialize.view(instance), "current_tasks": tasks}


@bp.post("/process-instances")
def start_instance() -> tuple[Response, int]:
    body = json_body()
    instance = api.start_instance_by_hand(
        required_text(body, "process_key"),
        starter_id=g.user.id,
        data=optional_object(body, "data"),
        business_key=optional_text(body, "business_key", 100),
    )
    db.session.commit()
    return jsonify(instance_json(instance)), 201


@bp.get("/process-instances/<int(max=2147483647):instance_id>")
def get_instance(instance_id: int) -> Response:
    return jsonify(instance_json(visible_instance(instance_id, g.user)))


@bp.get("/process-instances/<int(max=2147483647):instance_id>/events")
def instance_events(instance_id: int) -> Response:
    visible_instance(instance_id, g.user)
    events = [serialize.view(event) for event in api.history(instance_id)]
    check = api.verify_history(instance_id)
    chain = {"ok": check.ok, "first_bad_seq": check.first_bad_seq, "message": check.message}
    return jsonify({"events": events, "chain": chain})
