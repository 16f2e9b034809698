"""Two people (threads, each with its own session) completing the same task: exactly one wins."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from engine import api
from engine.runtime.models import HumanTask, InstanceEvent
from services.db import db
from services.errors import Conflict
from tests.engine.runtime.helpers import SUBJECT, active_rows, deploy_approval, start_approval


@pytest.fixture
def waiting_task(people):
    deploy_approval()
    view = start_approval(people)
    (row,) = active_rows(view.id)
    task_id = row.id
    db.session.commit()
    return view.id, task_id, people.starter.id


def complete_in_thread(app, task_id, actor_id, outcomes, *, before_commit=None) -> None:
    with app.app_context():
        try:
            api.complete_task(task_id, actor_id=actor_id, data={"subject": SUBJECT})
            if before_commit:
                before_commit()
            db.session.commit()
            outcomes.append("won")
        except Conflict as exc:
            db.session.rollback()
            outcomes.append(exc.message)
        finally:
            db.session.remove()


def assert_nothing_lost(instance_id: int, task_id: int, actor_id: int) -> None:
    db.session.rollback()
    done = db.session.get(HumanTask, task_id)
    assert (done.status, done.completed_by_id) == ("completed", actor_id)
    (review,) = active_rows(instance_id)
    assert review.task_spec == "review"
    completions = db.session.scalar(
        select(func.count()).where(
            InstanceEvent.instance_id == instance_id, InstanceEvent.kind == "task_completed"
        )
    )
    assert completions == 1
    assert api.verify_history(instance_id).ok
    assert api.get_instance(instance_id).revision == 2


def test_second_completion_waits_for_the_lock_then_loses(app, waiting_task) -> None:
    instance_id, task_id, actor_id = waiting_task
    outcomes: list[str] = []
    first_done, second_started, second_finished = (threading.Event() for _ in range(3))

    def hold_lock_until_second_is_waiting() -> None:
        first_done.set()
        second_started.wait(timeout=10)
        # The second thread must stay blocked on the instance lock while we hold it.
        assert not second_finished.wait(timeout=0.5)

    def second() -> None:
        first_done.wait(timeout=10)
        second_started.set()
        complete_in_thread(app, task_id, actor_id, outcomes)
        second_finished.set()

    threads = [
        threading.Thread(
            target=complete_in_thread,
            args=(app, task_id, actor_id, outcomes),
            kwargs={"before_commit": hold_lock_until_second_is_waiting},
        ),
        threading.Thread(target=second),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert outcomes == ["won", "该任务已被他人处理"]
    assert_nothing_lost(instance_id, task_id, actor_id)


def test_simultaneous_completions_exactly_one_wins(app, waiting_task) -> None:
    instance_id, task_id, actor_id = waiting_task
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def racer() -> None:
        barrier.wait(timeout=10)
        complete_in_thread(app, task_id, actor_id, outcomes)

    threads = [threading.Thread(target=racer) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["won", "该任务已被他人处理"]
    assert_nothing_lost(instance_id, task_id, actor_id)
