"""Service failures in the history (``error`` events), replay of incidents, and 疏通/终止 of an
instance in ``error``."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engine import api
from engine.runtime.models import HumanTask
from services.db import db
from services.errors import Conflict, Forbidden
from tests.engine.incidents.conftest import FAILURE, SERVICE, QuotaExceeded
from tests.engine.incidents.helpers import active_specs, events, kinds, start_and_fill


def _stuck(people, flaky) -> tuple[int, api.IncidentView]:
    flaky.failure = QuotaExceeded
    instance_id = start_and_fill("incident_uncaught", people)
    (incident,) = api.list_incidents(instance_id=instance_id)
    return instance_id, incident


def test_a_parked_service_failure_is_an_error_event_in_the_chain(people, flaky) -> None:
    instance_id, _ = _stuck(people, flaky)
    (error,) = events(instance_id, "error")
    assert (error.task_spec, error.task_name) == ("call", "调用外部服务")
    assert error.data["source"] == "service" and error.data["service"] == SERVICE
    assert error.data["message"] == f"“调用外部服务”环节出错：{FAILURE}"
    assert kinds(instance_id)[-2:] == ["incident_opened", "error"]
    assert api.verify_history(instance_id).ok


@pytest.mark.parametrize("failed_retries", [0, 2])
def test_an_instance_whose_incident_was_retried_replays(people, flaky, failed_retries) -> None:
    instance_id, incident = _stuck(people, flaky)
    for _ in range(failed_retries):
        api.retry_incident(incident.id, admin_id=people.admin.id)
        db.session.commit()
    flaky.failure = None
    api.retry_incident(incident.id, admin_id=people.admin.id)
    db.session.commit()
    assert kinds(instance_id).count("error") == 1 + failed_retries
    report = api.replay_instance(instance_id)
    assert report.ok, report.message
    assert report.skipped_kinds == ()


def test_unblock_skips_the_failed_service_with_the_result_given(people, flaky) -> None:
    instance_id, _ = _stuck(people, flaky)
    api.unblock_instance(
        instance_id,
        admin_id=people.admin.id,
        reason="对方系统停机维护，已人工报送",
        skip_task_spec="call",
        data={"service_result": {"ok": "人工报送"}},
    )
    db.session.commit()
    assert api.get_instance(instance_id).status == "running"
    assert active_specs(instance_id) == ["review"]
    assert api.list_incidents() == []
    (closed,) = api.list_incidents(instance_id=instance_id, open_only=False)
    assert closed.resolved_by_id == people.admin.id
    (review,) = db.session.scalars(
        select(HumanTask).where(HumanTask.instance_id == instance_id, HumanTask.active.is_(True))
    )
    assert api.task_form_data(review.id)["service_result"] == {"ok": "人工报送"}
    (skipped,) = events(instance_id, "task_skipped")
    assert skipped.data["reason"] == "对方系统停机维护，已人工报送"
    assert flaky.calls == 1  # the service was not called again
    report = api.replay_instance(instance_id)
    assert report.ok, report.message


def test_terminate_ends_an_instance_in_error_and_closes_its_incident(people, flaky) -> None:
    instance_id, _ = _stuck(people, flaky)
    api.terminate_instance(instance_id, admin_id=people.admin.id, reason="业务已撤销")
    db.session.commit()
    assert api.get_instance(instance_id).status == "terminated"
    assert api.list_incidents() == []
    assert api.replay_instance(instance_id).ok
    with pytest.raises(Conflict):
        api.unblock_instance(
            instance_id, admin_id=people.admin.id, reason="x", skip_task_spec="call"
        )


def test_only_an_admin_unblocks_an_instance_in_error(people, flaky) -> None:
    instance_id, _ = _stuck(people, flaky)
    with pytest.raises(Forbidden):
        api.unblock_instance(
            instance_id, admin_id=people.starter.id, reason="想跳过", skip_task_spec="call"
        )
    db.session.rollback()
    assert api.get_instance(instance_id).status == "error"
