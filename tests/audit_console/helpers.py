"""Reading the console's answers: events of an instance, downloads as rows."""

from __future__ import annotations

import csv
import io
from typing import Any

from openpyxl import load_workbook
from sqlalchemy import select

from engine.runtime.models import InstanceEvent
from services.audit.models import AuditEvent
from services.db import db


def events_of(instance_id: int) -> list[InstanceEvent]:
    query = select(InstanceEvent).where(InstanceEvent.instance_id == instance_id)
    return list(db.session.scalars(query.order_by(InstanceEvent.seq)))


def event_of(instance_id: int, kind: str, task_spec: str | None) -> InstanceEvent:
    return next(e for e in events_of(instance_id) if (e.kind, e.task_spec) == (kind, task_spec))


def xlsx_rows(body: bytes) -> list[list[Any]]:
    """Every row of the only sheet, header first, as openpyxl reads it back."""
    workbook = load_workbook(io.BytesIO(body), read_only=True)
    (sheet,) = workbook.worksheets
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    workbook.close()
    return rows


def csv_rows(body: bytes) -> list[list[str]]:
    text = body.decode("utf-8")
    assert text.startswith("\ufeff")  # Excel needs the BOM to read UTF-8 Chinese
    return list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))


def audit_actions(action: str) -> list[AuditEvent]:
    """The audit records of ``action``, oldest first (fresh from the database)."""
    db.session.expire_all()
    query = select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)
    return list(db.session.scalars(query))
