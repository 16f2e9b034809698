"""The engine counts working days: a ``workdaysOnly`` start timer skips 国庆, and a step due in
``workdays(3)`` (dueIn and boundary timer) started on the eve of 国庆 is due on the 调休
Saturday 10-10, not on 10-03."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from engine import api
from engine import scheduler as engine_scheduler
from engine.runtime.models import HumanTask
from engine.runtime.wait_models import StartTimer
from services.db import db
from tests.calendar.conftest import BPMN_DIR, TIMER_BPMN_DIR, deploy
from tests.engine.waits.helpers import active_specs, event_kinds, timers_of

DUE = datetime(2026, 10, 10, 2, 0, tzinfo=UTC)  # Saturday 10-10 (调休上班) 10:00 Beijing


def test_a_workdays_only_timer_skips_guoqing_and_runs_on_the_tiaoxiu_saturday(
    app, people, guoqing_clock
) -> None:
    """Every working day at 08:00 Beijing; the clock starts on Wednesday 09-30 10:00."""
    deploy(TIMER_BPMN_DIR / "timers_morning.bpmn")
    engine_scheduler.run_once(app, worker_id="s1")
    row = db.session.scalars(select(StartTimer)).one()
    assert row.due_at == datetime(2026, 10, 8, 0, 0, tzinfo=UTC)  # not 10-01 .. 10-07
    guoqing_clock.current = datetime(2026, 9, 30, 23, 59, tzinfo=UTC)  # 10-01 07:59
    started = []
    for _ in range(12):  # 10-01 .. 10-12 at 08:00 Beijing
        guoqing_clock.advance(minutes=1)
        started.append(engine_scheduler.run_once(app, worker_id="s1").instances_started)
        guoqing_clock.advance(hours=23, minutes=59)
    #            10-01 .. 10-07 国庆    08 09 10(调休) 11(Sun) 12
    assert started == [0] * 7 + [1, 1, 1, 0, 1]


def test_a_three_working_day_deadline_across_guoqing(app, people, guoqing_clock) -> None:
    deploy(BPMN_DIR / "workday_deadline.bpmn")
    view = api.start_instance("workday_deadline", starter_id=people.starter.id, data={})
    db.session.commit()
    task = db.session.scalars(select(HumanTask).where(HumanTask.instance_id == view.id)).one()
    assert task.due_at == DUE
    (timer,) = timers_of(view.id)
    assert timer.due_at == DUE
    guoqing_clock.current = datetime(2026, 10, 10, 1, 59, tzinfo=UTC)
    assert api.fire_due_timers(worker_id="w1") == 0  # 10-03, the calendar-day answer, is past
    guoqing_clock.advance(minutes=1)
    assert api.fire_due_timers(worker_id="w1") == 1
    assert "timer_fired" in event_kinds(view.id)
    assert active_specs(view.id) == ["handle"]  # a reminder: the task stays
    assert api.replay_instance(view.id).ok
