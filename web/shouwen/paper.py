"""纸质来文登记: the 收发员 registers a paper 来文 with its scans; it lands in the unit's 收文箱
and the 收文 process starts for it, as for a package of the external intake API.

Everything (document, files, record, audit event, the ``gongwen.received`` message) is written
in one transaction: a refused form leaves no row behind.
"""

from __future__ import annotations

from typing import Any

from flask import flash, g, redirect, render_template, request, url_for
from werkzeug.datastructures import FileStorage
from werkzeug.wrappers import Response

from engine import api
from engine.gongwen_services import RECEIVED_MESSAGE
from services.db import db
from services.errors import Forbidden, ValidationFailed
from services.files import policy
from services.gongwen import documents, paper
from services.gongwen.exchange_models import CATEGORIES, RECEIPT_CLASSES
from services.gongwen.intake import Upload
from services.gongwen.models import DOC_TYPES, SECRECY_LEVELS, URGENCY_LABELS
from web.security import login_required
from web.shouwen import bp

URGENCY_NAMES = {"normal": "平件", "urgent": "加急", "very_urgent": "特急"}


def _unit_id() -> int:
    """The unit to register into: the user's own (a ``unit_id`` naming another is refused)."""
    raw = (request.form.get("unit_id") or "").strip()
    unit_id = int(raw) if raw.isdigit() else int(g.user.unit_id)
    if not paper.may_register(g.user, unit_id):
        raise Forbidden(paper.FORBIDDEN, unit_id=unit_id)
    return unit_id


def _page(values: dict[str, Any], errors: dict[str, str], status: int = 200) -> tuple[str, int]:
    html = render_template(
        "shouwen/paper.html",
        values=values,
        errors=errors,
        categories=CATEGORIES,
        classes=RECEIPT_CLASSES,
        doc_types=DOC_TYPES,
        secrecy_levels=SECRECY_LEVELS,
        urgency_names={k: URGENCY_NAMES[k] for k in URGENCY_LABELS},
        limit_mb=policy.size_limit(),
    )
    return html, status


@bp.get("/paper")
@login_required
def paper_page() -> tuple[str, int]:
    _unit_id()
    today = documents.beijing_today().isoformat()
    return _page({"received_date": today, "doc_type": "通知", "category": "普发件"}, {})


def _uploads(name: str) -> list[Upload]:
    parts: list[FileStorage] = [f for f in request.files.getlist(name) if f.filename]
    return [_read(part) for part in parts]


def _read(part: FileStorage) -> Upload:
    """The part's bytes up to the size limit; its spooled temporary file is closed at once."""
    try:
        return Upload(part.filename or "", policy.read_limited(part.stream, policy.size_limit()))
    finally:
        part.close()


@bp.post("/paper")
@login_required
def paper_submit() -> Response | tuple[str, int]:
    unit_id = _unit_id()
    form = request.form.to_dict()
    try:
        letter = paper.check_letter(
            g.user, unit_id, form, _uploads("scans"), _uploads("attachments")
        )
        record = paper.file_letter(letter)
        api.send_message(
            RECEIVED_MESSAGE,
            {"unit_id": unit_id},
            paper.message_payload(record),
            sender_id=g.user.id,
        )
    except ValidationFailed as exc:
        db.session.rollback()
        return _page(form, exc.errors or {"form": exc.message}, 422)
    db.session.commit()
    flash("纸质来文已登记到收文箱，请签收后继续登记办理。", "success")
    return redirect(url_for("shouwen.record_page", record_id=record.id))
