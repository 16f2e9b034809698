"""异常处理 page: open service incidents and failed timers, retry / 疏通 / 终止, 系统管理员 only."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from engine import api
from engine.runtime.wait_models import StartTimer
from services.audit.models import AuditEvent
from services.db import db
from services.org.roles import ANALYST, AUDITOR
from tests.admin_console.helpers import add_failed_timer, assert_requeued
from tests.admin_console.test_console import _post
from tests.engine.incidents.conftest import QuotaExceeded, flaky, people  # noqa: F401
from tests.engine.incidents.helpers import active_specs, start_and_fill
from tests.studio.helpers import client_for


@pytest.fixture
def stuck(people, flaky) -> int:  # noqa: F811  (fixtures imported above)
    flaky.failure = QuotaExceeded
    return start_and_fill("incident_uncaught", people)


def audited(action: str) -> int:
    return len(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all())


@pytest.mark.parametrize(("username", "roles"), [("clerk", ()), ("analyst1", (ANALYST, AUDITOR))])
def test_only_system_administrators_see_and_retry(app: Flask, stuck, username, roles) -> None:
    client = client_for(app, username, roles)
    (incident,) = api.list_incidents()
    assert client.get("/admin/incidents").status_code == 403
    assert _post(client, f"/admin/incidents/{incident.id}/retry", {}).status_code == 403
    assert _post(client, "/admin/start-timers/1/retry", {}).status_code == 403
    assert api.list_incidents()[0].attempts == 1


def test_the_page_lists_the_incident_and_a_retry_resolves_it(
    admin: FlaskClient,
    stuck,
    flaky,  # noqa: F811
) -> None:
    (incident,) = api.list_incidents()
    page = admin.get("/admin/incidents").get_data(as_text=True)
    assert f'data-incident="{incident.id}"' in page and "对方系统暂不可用" in page
    assert "服务任务出错（1）" in page
    reply = _post(admin, f"/admin/incidents/{incident.id}/retry", {})
    assert reply.status_code == 302
    assert "重试后仍失败" in admin.get("/admin/incidents").get_data(as_text=True)
    flaky.failure = None
    _post(admin, f"/admin/incidents/{incident.id}/retry", {})
    page = admin.get("/admin/incidents").get_data(as_text=True)
    assert "已解决" in page and "没有出错的服务任务" in page
    assert active_specs(stuck) == ["review"]
    assert audited("incident.retry") == 2


def test_unblock_from_the_page_skips_the_service_with_a_result(admin: FlaskClient, stuck) -> None:
    form = {"reason": "已人工报送", "skip_task_spec": "call", "back": "incidents"}
    bad = _post(admin, f"/admin/instances/{stuck}/unblock", {**form, "result_json": "[1]"})
    assert bad.status_code == 422
    reply = _post(
        admin, f"/admin/instances/{stuck}/unblock", {**form, "result_json": '{"ok": "人工"}'}
    )
    assert reply.status_code == 302 and reply.headers["Location"] == "/admin/incidents"
    assert api.get_instance(stuck).status == "running"
    assert active_specs(stuck) == ["review"] and api.list_incidents() == []
    assert audited("instance.unblock") == 1


def test_terminate_from_the_page_ends_the_instance_in_error(admin: FlaskClient, stuck) -> None:
    form = {"reason": "业务撤销", "back": "incidents"}
    reply = _post(admin, f"/admin/instances/{stuck}/terminate", form)
    assert reply.headers["Location"] == "/admin/incidents"
    assert api.get_instance(stuck).status == "terminated"
    assert "没有出错的服务任务" in admin.get("/admin/incidents").get_data(as_text=True)


def test_a_failed_start_timer_is_listed_and_requeued(admin: FlaskClient, stuck) -> None:
    version_id = api.get_instance(stuck).version_id
    row = add_failed_timer(
        StartTimer,
        process_key="incident_uncaught",
        version_id=version_id,
        task_spec="start",
        task_name="每日八点",
        last_error="定时启动的发起人“nobody”不存在或已停用",
    )
    page = admin.get("/admin/incidents").get_data(as_text=True)
    assert "定时启动" in page and "每日八点" in page and "nobody" in page
    assert _post(admin, f"/admin/start-timers/{row.id}/retry", {}).status_code == 302
    assert_requeued(row)
    assert audited("start_timer.retry") == 1
