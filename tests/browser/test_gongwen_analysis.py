"""公文办理分析 in Chromium: ECharts loads from the vendor route and draws both charts."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from engine.runtime.models import HumanTask
from services.db import db
from services.org.models import User
from tests.engine.runtime.conftest import make_bare_instance

PASSWORD = "Good#Pass2025"
T0 = datetime(2025, 3, 3, 1, 0, tzinfo=UTC)


def test_charts_are_drawn(page, live_server, add_user, system_admin, login):
    user_id = add_user("leader", "李局长", PASSWORD, position="principal")
    with live_server.app_context():
        leader = db.session.get(User, user_id)
        instance = make_bare_instance(leader, key="fawen")
        instance.starter_unit_id = leader.unit_id
        db.session.add(
            HumanTask(
                instance_id=instance.id,
                spiff_task_id=str(uuid.uuid4()),
                task_spec="review",
                name="审核",
                process_key="fawen",
                assignee_id=user_id,
                status="completed",
                active=False,
                created_at=T0,
                completed_at=T0 + timedelta(hours=3),
                completed_by_id=user_id,
                due_at=T0 + timedelta(hours=1),
            )
        )
        db.session.commit()
    login(page, "leader", PASSWORD)
    page.goto("/gongwen/analysis?from=2025-03-01&to=2025-03-31")
    page.locator("#chart-duration canvas").wait_for()
    page.locator("#chart-overdue canvas").wait_for()
    assert page.evaluate("typeof window.echarts.getInstanceByDom") == "function"
    option = page.evaluate(
        "window.echarts.getInstanceByDom(document.getElementById('chart-overdue'))"
        ".getOption().series[0].data"
    )
    assert option == [100.0]
