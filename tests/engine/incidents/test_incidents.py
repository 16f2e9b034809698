"""An uncaught service error opens an incident; the user's step is kept; an admin retries."""

from __future__ import annotations

import pytest

from engine import api
from engine.runtime.models import HumanTask, ProcessInstance
from services.db import db
from services.errors import Conflict, Forbidden
from tests.engine.incidents.conftest import FAILURE, SERVICE, QuotaExceeded, ServiceDown
from tests.engine.incidents.helpers import COMMENT, active_specs, events, kinds, start_and_fill

UNCAUGHT = [("incident_uncaught", QuotaExceeded), ("incident_caught", ServiceDown)]


def _incident(people, flaky, process_key="incident_uncaught", failure=QuotaExceeded):
    flaky.failure = failure
    instance_id = start_and_fill(process_key, people)
    (incident,) = api.list_incidents(instance_id=instance_id)
    return instance_id, incident


@pytest.mark.parametrize(("process_key", "failure"), UNCAUGHT)
def test_uncaught_error_opens_an_incident(people, flaky, process_key, failure):
    instance_id, incident = _incident(people, flaky, process_key, failure)

    assert api.get_instance(instance_id).status == "error"
    assert active_specs(instance_id) == []
    assert (incident.task_spec, incident.task_name, incident.service) == (
        "call",
        "调用外部服务",
        SERVICE,
    )
    assert incident.error_code == failure.__name__
    assert incident.message == f"“调用外部服务”环节出错：{FAILURE}"
    assert (incident.attempts, incident.open, incident.resolved_by_id) == (1, True, None)
    (opened,) = events(instance_id, "incident_opened")
    assert opened.task_spec == "call"
    assert opened.data["error_code"] == failure.__name__
    assert api.verify_history(instance_id).ok


def test_the_completing_users_action_is_kept(people, flaky):
    instance_id, _ = _incident(people, flaky)

    fill = db.session.scalars(
        db.select(HumanTask).where(HumanTask.instance_id == instance_id)
    ).one()
    assert (fill.task_spec, fill.status, fill.completed_by_id) == (
        "fill",
        "completed",
        people.starter.id,
    )
    (completed,) = events(instance_id, "task_completed")
    assert completed.actor_id == people.starter.id
    assert completed.data["data"] == {"comment": COMMENT}
    assert kinds(instance_id).index("task_completed") < kinds(instance_id).index("incident_opened")


def test_retry_after_the_fix_resolves_and_moves_on(people, flaky):
    instance_id, incident = _incident(people, flaky)
    flaky.failure = None

    view = api.retry_incident(incident.id, admin_id=people.admin.id)
    db.session.commit()

    assert (view.open, view.resolved_by_id, view.attempts) == (False, people.admin.id, 1)
    assert api.get_instance(instance_id).status == "running"
    assert active_specs(instance_id) == ["review"]
    assert api.list_incidents() == []
    assert [i.id for i in api.list_incidents(open_only=False)] == [incident.id]
    history = kinds(instance_id)
    order = [history.index(k) for k in ("incident_retried", "service_called", "incident_resolved")]
    assert order == sorted(order)
    (called,) = events(instance_id, "service_called")
    assert called.data["service"] == SERVICE
    assert api.verify_history(instance_id).ok


def test_a_failed_retry_counts_and_says_so(people, flaky):
    instance_id, incident = _incident(people, flaky)

    view = api.retry_incident(incident.id, admin_id=people.admin.id)
    db.session.commit()

    assert (view.open, view.attempts) == (True, 2)
    assert view.message == f"第 2 次执行仍失败：{FAILURE}"
    assert api.get_instance(instance_id).status == "error"
    assert [e.data["attempts"] for e in events(instance_id, "incident_retry_failed")] == [2]
    assert len(api.list_incidents(instance_id=instance_id, open_only=False)) == 1
    flaky.failure = None
    assert api.retry_incident(incident.id, admin_id=people.admin.id).open is False
    assert flaky.calls == 3


def test_retry_by_a_non_admin_is_forbidden(people, flaky):
    instance_id, incident = _incident(people, flaky)
    flaky.failure = None

    with pytest.raises(Forbidden):
        api.retry_incident(incident.id, admin_id=people.starter.id)

    assert flaky.calls == 1
    assert api.get_instance(instance_id).status == "error"


@pytest.mark.parametrize("status", ["suspended", "terminated"])
def test_retry_refused_unless_the_instance_is_in_error(people, flaky, status):
    instance_id, incident = _incident(people, flaky)
    db.session.get(ProcessInstance, instance_id).status = status
    db.session.commit()
    flaky.failure = None

    with pytest.raises(Conflict):
        api.retry_incident(incident.id, admin_id=people.admin.id)

    assert flaky.calls == 1


def test_a_resolved_incident_is_not_retried_again(people, flaky):
    _, incident = _incident(people, flaky)
    flaky.failure = None
    api.retry_incident(incident.id, admin_id=people.admin.id)
    db.session.commit()

    with pytest.raises(Conflict):
        api.retry_incident(incident.id, admin_id=people.admin.id)

    assert flaky.calls == 2
