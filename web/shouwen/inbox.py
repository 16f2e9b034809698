"""The 收文箱 pages: list, one 收文 with its files, 签收 and 退文 (the 签收 task done from here).

Every route checks that the user holds the 收文箱 of the record's unit; other units' records
answer the same 403 as unknown ids.
"""

from __future__ import annotations

import io

from flask import flash, g, redirect, render_template, request, send_file, url_for
from werkzeug.wrappers import Response

from engine import api
from services.archive import service as archive
from services.archive.models import RETENTIONS
from services.db import db
from services.errors import Conflict, Forbidden, NotFound, ValidationFailed
from services.gongwen import exchange, incoming_facts, paper, queries
from services.gongwen.exchange_models import STATUSES, IncomingRecord
from services.gongwen.models import URGENCY_LABELS
from services.gongwen.sheet import SHEET_KINDS
from web.office_types import download_type
from web.security import login_required
from web.shouwen import bp

INBOX_FORBIDDEN = "您无权查看本单位收文箱。"
SIGN_STEP = "sign_for"
# In the 件 of a paper 来文, the 正本 is the scans.
PAPER_ITEM_LABELS = {"received_doc": "来文正本（扫描件）"}


def _own_unit() -> int:
    if not exchange.may_use_inbox(g.user, g.user.unit_id):
        raise Forbidden(INBOX_FORBIDDEN)
    return int(g.user.unit_id)


@bp.get("/")
@login_required
def inbox() -> str:
    status = request.args.get("status") or None
    if status not in (None, *STATUSES):
        status = None
    records = exchange.inbox(_own_unit(), status)
    return render_template(
        "shouwen/inbox.html",
        records=records,
        status=status,
        statuses=STATUSES,
        signable=_signable(records),
        registrable=_registrable(records),
        overdue={r.id for r in records if exchange.is_overdue(r)},
        archive_codes=incoming_facts.archive_codes([r.document_id for r in records]),
        urgency=URGENCY_LABELS,
        may_register_paper=paper.may_register(g.user, g.user.unit_id),
    )


@bp.get("/<int:record_id>")
@login_required
def record_page(record_id: int) -> str:
    record = exchange.visible_record(record_id, g.user)
    files = queries.document_files(record.document_id)
    paper = incoming_facts.origin(record) == incoming_facts.PAPER
    return render_template(
        "shouwen/record.html",
        record=record,
        files=incoming_facts.label_files(
            [f for f in files if f.kind not in SHEET_KINDS], paper=paper
        ),
        sheets=[f for f in files if f.kind in SHEET_KINDS],
        archive=archive.record_for_document(record.document_id),
        retentions=RETENTIONS,
        item_labels=archive.ITEM_LABELS | (PAPER_ITEM_LABELS if paper else {}),
        may_sign=my_task(record, SIGN_STEP) is not None,
        overdue=exchange.is_overdue(record),
        names=queries.user_names({record.signed_by_id, record.returned_by_id}),
        urgency=URGENCY_LABELS,
    )


@bp.get("/<int:record_id>/files/<int:file_id>")
@login_required
def download_file(record_id: int, file_id: int) -> Response:
    record = exchange.visible_record(record_id, g.user)
    stored = queries.document_file(record.document_id, file_id)
    return send_file(
        io.BytesIO(stored.content),
        mimetype=download_type(stored.filename),
        as_attachment=True,
        download_name=stored.filename,
    )


def my_open_tasks(instance_ids: list[int], task_spec: str) -> dict[int, api.TaskView]:
    """Instance id -> its open ``task_spec`` task, for those the current user may do."""
    open_by_instance = api.open_tasks_for(instance_ids)
    tasks = [t for ts in open_by_instance.values() for t in ts if t.task_spec == task_spec]
    candidates = api.task_candidates([t.id for t in tasks if t.assignee_id is None])
    return {
        t.instance_id: t
        for t in tasks
        if t.assignee_id == g.user.id or g.user.id in candidates.get(t.id, [])
    }


def _signable(records: list[IncomingRecord]) -> set[int]:
    mine = my_open_tasks([r.instance_id for r in records if r.instance_id is not None], SIGN_STEP)
    return {r.id for r in records if r.instance_id in mine}


def _registrable(records: list[IncomingRecord]) -> set[int]:
    mine = my_open_tasks([r.instance_id for r in records if r.instance_id is not None], "register")
    return {r.id for r in records if r.instance_id in mine}


def my_task(record: IncomingRecord, task_spec: str) -> api.TaskView | None:
    """The record's open ``task_spec`` task, if the current user may do it."""
    if record.instance_id is None:
        return None
    return my_open_tasks([record.instance_id], task_spec).get(record.instance_id)


def _do_sign_step(record_id: int, data: dict[str, str], done: str) -> Response:
    record = exchange.visible_record(record_id, g.user)
    task = my_task(record, SIGN_STEP)
    if task is None:
        raise Conflict("该收文已签收或已退文，或不由您签收", record_id=record_id)
    try:
        if task.assignee_id is None:
            api.claim_task(task.id, g.user.id)
        api.complete_task(task.id, actor_id=g.user.id, data=data)
    except (ValidationFailed, Conflict, NotFound) as exc:
        db.session.rollback()
        flash(_message(exc), "error")
        return redirect(url_for("shouwen.record_page", record_id=record_id))
    db.session.commit()
    flash(done, "success")
    return redirect(url_for("shouwen.inbox"))


def _message(exc: ValidationFailed | Conflict | NotFound) -> str:
    errors = getattr(exc, "errors", None) or {}
    return "；".join(errors.values()) if errors else exc.message


@bp.post("/<int:record_id>/sign")
@login_required
def sign(record_id: int) -> Response:
    return _do_sign_step(record_id, {"sign_action": "签收"}, "已签收，请在待办中继续登记。")


@bp.post("/<int:record_id>/return")
@login_required
def return_document(record_id: int) -> Response:
    reason = request.form.get("reason", "").strip()
    if not reason:
        exchange.visible_record(record_id, g.user)
        flash("请填写退文理由。", "error")
        return redirect(url_for("shouwen.record_page", record_id=record_id))
    data = {"sign_action": "退文", "sign_return_reason": reason}
    return _do_sign_step(record_id, data, "已退文，发文单位可以看到退文理由。")


@bp.get("/<int:record_id>.json")
@login_required
def record_json(record_id: int) -> dict[str, object]:
    """The same record for scripts: the same permission check as the page."""
    record = exchange.visible_record(record_id, g.user)
    return {
        "id": record.id,
        "status": record.status,
        "title": record.document.title,
        "receipt_number": record.receipt_number,
        "from_unit": record.from_unit,
        "from_doc_number": record.from_doc_number,
        "deadline": record.deadline.isoformat() if record.deadline else None,
        "overdue": exchange.is_overdue(record),
    }
