"""``oa incidents``: list open incidents and failed timers, retry one as a 系统管理员."""

from __future__ import annotations

from sqlalchemy import select

from engine import api
from services.audit.models import AuditEvent
from services.db import db
from tests.engine.incidents.conftest import QuotaExceeded
from tests.engine.incidents.helpers import active_specs, start_and_fill
from web.commands.engine import incidents


def test_lists_nothing_when_all_is_well(app, people) -> None:
    result = app.test_cli_runner().invoke(incidents, [])
    assert result.exit_code == 0 and "没有待处理的异常" in result.output


def test_lists_then_retries_an_incident(app, people, flaky) -> None:
    flaky.failure = QuotaExceeded
    instance_id = start_and_fill("incident_uncaught", people)
    (incident,) = api.list_incidents()
    runner = app.test_cli_runner()
    listing = runner.invoke(incidents, [])
    assert f"异常 {incident.id}  实例 {instance_id}  环节 调用外部服务（call）" in listing.output
    again = runner.invoke(incidents, ["--retry", str(incident.id), "--admin", "root"])
    assert again.exit_code == 0 and "重试后仍失败" in again.output
    flaky.failure = None
    fixed = runner.invoke(incidents, ["--retry", str(incident.id), "--admin", "root"])
    assert fixed.exit_code == 0, fixed.output
    assert f"流程实例 {instance_id} 继续运行" in fixed.output
    assert active_specs(instance_id) == ["review"]
    actions = db.session.scalars(select(AuditEvent.action)).all()
    assert actions.count("incident.retry") == 2
    assert "没有待处理的异常" in runner.invoke(incidents, []).output


def test_retry_needs_a_system_administrator(app, people, flaky) -> None:
    flaky.failure = QuotaExceeded
    start_and_fill("incident_uncaught", people)
    (incident,) = api.list_incidents()
    for admin in ([], ["--admin", "zhang"]):
        result = app.test_cli_runner().invoke(incidents, ["--retry", str(incident.id), *admin])
        assert result.exit_code == 2 and "系统管理员" in result.output
    assert flaky.calls == 1


def test_an_unknown_id_is_reported(app, people) -> None:
    result = app.test_cli_runner().invoke(incidents, ["--retry-timer", "999", "--admin", "root"])
    assert result.exit_code == 1 and "没有这个失败的定时器" in result.output
