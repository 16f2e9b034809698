"""The audit console: only 审计管理员 reads it; filters, pagination, verify button, CSV export."""

from __future__ import annotations

import csv
import io
import json

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from services.audit import log as audit
from services.audit.models import AuditEvent
from services.db import db
from services.org.roles import AUDITOR, SECADMIN, SYSADMIN
from tests.audit.helpers import tamper
from tests.auth.helpers import PASSWORD, ensure_sysadmin, login, make_user, post_form


@pytest.fixture
def auditor_client(app: Flask) -> FlaskClient:
    ensure_sysadmin()
    make_user("auditor", name="审计员", roles=(AUDITOR,))
    db.session.commit()
    client = app.test_client()
    login(client, "auditor", PASSWORD)
    return client


@pytest.mark.parametrize("role", [SYSADMIN, SECADMIN, None])
def test_only_auditors_may_read(app: Flask, role: str | None) -> None:
    ensure_sysadmin()
    make_user("someone", roles=(role,) if role else ())
    db.session.commit()
    client = app.test_client()
    login(client, "someone", PASSWORD)
    for path in ("/audit/", "/audit/export.csv"):
        assert client.get(path).status_code == 403
    assert post_form(client, "/audit/verify", {}).status_code == 403


def test_anonymous_is_sent_to_login(client: FlaskClient, app: Flask) -> None:
    ensure_sysadmin()
    db.session.commit()
    assert client.get("/audit/").headers["Location"].startswith("/login")


def test_auditor_sees_login_events_and_filters(auditor_client: FlaskClient) -> None:
    page = auditor_client.get("/audit/").get_data(as_text=True)
    assert "auth.login" in page and "auditor" in page
    filtered = auditor_client.get("/audit/?action=org.role_grant").get_data(as_text=True)
    assert "org.role_grant" in filtered and "auth.login<" not in filtered
    failures = auditor_client.get("/audit/?result=failure").get_data(as_text=True)
    assert "共 0 条记录" in failures


def test_date_filter_uses_beijing_days(frozen_clock, auditor_client: FlaskClient) -> None:
    # The login happened at 2025-03-03 09:00 Beijing; 16 hours later it is 03-04 01:00 in
    # Beijing but still 03-03 in UTC.
    frozen_clock.advance(hours=16)
    audit.record("late.event")
    db.session.commit()
    login(auditor_client, "auditor", PASSWORD)  # the first session has timed out meanwhile
    day3 = auditor_client.get("/audit/?since=2025-03-03&until=2025-03-03").get_data(as_text=True)
    assert "org.role_grant" in day3 and "late.event" not in day3
    day4 = auditor_client.get("/audit/?since=2025-03-04").get_data(as_text=True)
    assert "late.event" in day4 and "org.role_grant" not in day4
    assert "共 0 条记录" in auditor_client.get("/audit/?until=2025-03-02").get_data(as_text=True)


def test_bad_date_is_a_validation_error(auditor_client: FlaskClient) -> None:
    response = auditor_client.get("/audit/?since=2025-13-40")
    assert response.status_code == 422 and "日期格式" in response.get_data(as_text=True)


def test_pagination(auditor_client: FlaskClient) -> None:
    for n in range(60):
        audit.record("bulk.item", object_type="doc", object_id=n)
    db.session.commit()
    first = auditor_client.get("/audit/?action=bulk.").get_data(as_text=True)
    assert "第 1 / 2 页" in first and "下一页" in first
    second = auditor_client.get("/audit/?action=bulk.&page=2").get_data(as_text=True)
    assert second.count("bulk.item") == 10


def test_verify_button_reports_the_tampered_row(auditor_client: FlaskClient) -> None:
    ok = post_form(auditor_client, "/audit/verify", {}).get_data(as_text=True)
    assert "审计日志完整" in ok
    victim = db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq)).first()
    tamper("UPDATE audit_event SET username = 'mallory' WHERE id = :id", id=victim.id)
    bad = post_form(auditor_client, "/audit/verify", {}).get_data(as_text=True)
    assert "完整性校验未通过" in bad and f"记录 ID {victim.id}" in bad


def test_export_is_csv_and_audited(auditor_client: FlaskClient) -> None:
    response = auditor_client.get("/audit/export.csv?action=auth.")
    assert response.mimetype == "text/csv"
    body = response.get_data(as_text=True)
    assert body.startswith("\ufeff序号,时间,用户")
    assert "auth.login" in body
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    logins = [r for r in rows[1:] if r[5] == "auth.login"]
    assert logins and json.loads(logins[-1][9]) == {"username": "auditor"}
    db.session.expire_all()
    exported = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "audit.export"))
    assert [e.username for e in exported] == ["auditor"]


def test_no_route_deletes_the_log(app: Flask) -> None:
    rules = [r for r in app.url_map.iter_rules() if r.endpoint.startswith("audit_console.")]
    assert all("DELETE" not in r.methods for r in rules)
    # Only reads, the chain check and replay (which write nothing but their own audit record).
    assert {r.endpoint for r in rules if "POST" in r.methods} == {
        "audit_console.verify",
        "audit_console.replay",
    }
