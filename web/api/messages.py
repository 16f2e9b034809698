"""Sending a BPMN message to waiting instances (or message start events): sysadmin only.

The message is queued in this transaction; the scheduler's ``deliver_messages`` job delivers it,
so the answer is 202 (accepted), not the outcome of the delivery.
"""

from __future__ import annotations

from flask import Response, g, jsonify

from engine import api
from services.audit import log as audit
from services.db import db
from services.org.roles import SYSADMIN
from web.api import bp
from web.api.payload import json_body, optional_object, required_text
from web.security import roles_required


@bp.post("/messages")
@roles_required(SYSADMIN)
def send_message() -> tuple[Response, int]:
    body = json_body()
    name = required_text(body, "name")
    correlation, payload = optional_object(body, "correlation"), optional_object(body, "payload")
    message_id = api.send_message(name, correlation, payload, sender_id=g.user.id)
    audit.record("process.message_sent", object_type="message", object_id=message_id)
    db.session.commit()
    return jsonify({"id": message_id, "name": name, "accepted": True}), 202
