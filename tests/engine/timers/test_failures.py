"""A timer that gives up leaves an ``error`` event in the history; termination cancels it."""

from __future__ import annotations

from engine import api
from services.db import db
from services.org.roles import SYSADMIN
from tests.engine.waits.conftest import deploy as deploy_waits
from tests.engine.waits.helpers import event_kinds, timers_of
from tests.org.factories import make_user
from web.commands.engine import incidents


def _give_up(people, frozen_clock) -> int:
    deploy_waits("waits_broken")
    view = api.start_instance("waits_broken", starter_id=people.starter.id, data={"parts": 0})
    db.session.commit()
    frozen_clock.advance(hours=1)
    for _ in range(3):
        api.fire_due_timers(worker_id="w1")
    return view.id


def test_a_failed_timer_appends_one_error_event(people, frozen_clock) -> None:
    instance_id = _give_up(people, frozen_clock)
    (row,) = timers_of(instance_id)
    assert row.status == "failed"
    assert event_kinds(instance_id).count("error") == 1  # only when it gives up
    (error,) = [e for e in api.history(instance_id) if e.kind == "error"]
    assert (error.data["source"], error.data["timer_id"]) == ("timer", row.id)
    assert "触发 3 次均失败" in error.data["message"]
    assert api.verify_history(instance_id).ok
    assert api.replay_instance(instance_id).ok


def test_terminating_cancels_the_failed_timer(people, frozen_clock) -> None:
    instance_id = _give_up(people, frozen_clock)
    admin = make_user("root", name="管理员", roles=(SYSADMIN,))
    api.terminate_instance(instance_id, admin_id=admin.id, reason="数据有误，作废")
    db.session.commit()
    assert [row.status for row in timers_of(instance_id)] == ["cancelled"]


def test_oa_incidents_lists_and_requeues_failed_timers(app, people, frozen_clock) -> None:
    instance_id = _give_up(people, frozen_clock)
    make_user("root", name="管理员", roles=(SYSADMIN,))
    db.session.commit()
    (row,) = timers_of(instance_id)
    runner = app.test_cli_runner()
    listing = runner.invoke(incidents, [])
    assert f"定时器 {row.id}  实例 {instance_id}  环节 等待一小时" in listing.output
    assert "失败 3 次" in listing.output
    result = runner.invoke(incidents, ["--retry-timer", str(row.id), "--admin", "root"])
    assert result.exit_code == 0 and "已重新排队" in result.output
    assert [(r.status, r.attempts) for r in timers_of(instance_id)] == [("pending", 0)]
