"""登记 from the 收文箱: the 登记 form filled in advance from the delivered document.

The generic task page fills a form only from earlier submissions; a 收文 arrives by message, so
its elements (来文单位, 来文文号, 标题 …) are known only to the record. This page offers them as
the form's starting values; the registrar corrects what is needed and submits, which completes
the 登记 task exactly as the task page would.
"""

from __future__ import annotations

from typing import Any

from flask import flash, g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from engine import api
from engine.forms import load_form
from services.db import db
from services.errors import Conflict, ValidationFailed
from services.gongwen import documents, exchange, receipt_classes
from services.gongwen.exchange_models import IncomingRecord
from web.forms.parse import author_of, parse_submission
from web.forms.render import render_form
from web.security import login_required
from web.shouwen import bp
from web.shouwen.inbox import my_task

FORM_KEY = "shouwen_register"
REGISTER_STEP = "register"


def registration_defaults(record: IncomingRecord) -> dict[str, Any]:
    """The 登记 values known before the registrar types anything."""
    document = record.document
    received = record.received_date or documents.beijing_today()
    deadline = record.deadline or exchange.default_deadline(document.urgency, received)
    return {
        "title": document.title,
        "from_unit": record.from_unit,
        "from_doc_number": record.from_doc_number,
        "category": record.category,
        "receipt_class": record.receipt_class or receipt_classes.default_class(record.category),
        "secrecy": document.secrecy,
        "urgency": document.urgency,
        "copies": document.copies,
        "received_date": received.isoformat(),
        "deadline": deadline.isoformat(),
        "need_reply": record.need_reply,
    }


def _task(record_id: int) -> tuple[IncomingRecord, api.TaskView]:
    record = exchange.visible_record(record_id, g.user)
    task = my_task(record, REGISTER_STEP)
    if task is None:
        raise Conflict("该收文不在登记环节，或不由您登记", record_id=record_id)
    return record, task


def _page(record: IncomingRecord, form: Any, status: int = 200) -> tuple[str, int]:
    return render_template("shouwen/register.html", record=record, form=form), status


@bp.get("/<int:record_id>/register")
@login_required
def register_page(record_id: int) -> tuple[str, int]:
    record, _ = _task(record_id)
    return _page(record, render_form(load_form(FORM_KEY), previous=registration_defaults(record)))


@bp.post("/<int:record_id>/register")
@login_required
def register_submit(record_id: int) -> Response | tuple[str, int]:
    record, task = _task(record_id)
    spec, previous = load_form(FORM_KEY), registration_defaults(record)
    submission = parse_submission(
        spec, request.form, request.files, previous=previous, author=author_of(g.user)
    )
    if not submission.ok:
        form = render_form(spec, raw=submission.raw, errors=submission.errors, previous=previous)
        return _page(record, form, 422)
    if task.assignee_id is None:
        api.claim_task(task.id, g.user.id)
    try:
        api.complete_task(task.id, actor_id=g.user.id, data=submission.data)
    except ValidationFailed as exc:
        db.session.rollback()
        record, _ = _task(record_id)
        form = render_form(spec, raw=submission.raw, errors=exc.errors, previous=previous)
        return _page(record, form, 422)
    db.session.commit()
    flash("已登记，送办公室初审。", "success")
    return redirect(url_for("shouwen.inbox"))
