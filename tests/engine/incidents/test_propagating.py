"""Callers with their own retry queue (the timer scheduler) get uncaught errors raised."""

from __future__ import annotations

import pytest

from engine import api
from engine.errors import ServiceTaskError
from engine.runtime import incidents
from services.db import db
from tests.engine.incidents.conftest import QuotaExceeded
from tests.engine.incidents.helpers import SUBJECT, active_specs
from tests.engine.runtime.helpers import active_rows


def _start(process_key, people):
    view = api.start_instance(process_key, starter_id=people.starter.id, data={"subject": SUBJECT})
    db.session.commit()
    (fill,) = active_rows(view.id)
    return view.id, fill.id


def test_an_uncaught_error_propagates_and_opens_nothing(people, flaky):
    flaky.failure = QuotaExceeded
    instance_id, fill_id = _start("incident_uncaught", people)

    with incidents.propagating(), pytest.raises(ServiceTaskError):
        api.complete_task(fill_id, actor_id=people.starter.id, data={"comment": "办理"})
    db.session.rollback()

    assert api.list_incidents(open_only=False) == []
    assert api.get_instance(instance_id).status == "running"
    assert active_specs(instance_id) == ["fill"]


def test_a_caught_error_still_takes_the_boundary_path(people, flaky):
    flaky.failure = QuotaExceeded
    instance_id, fill_id = _start("incident_caught", people)

    with incidents.propagating():
        api.complete_task(fill_id, actor_id=people.starter.id, data={"comment": "办理"})

    assert active_specs(instance_id) == ["handle_failure"]
