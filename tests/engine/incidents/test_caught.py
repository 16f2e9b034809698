"""A service error that the diagram catches follows the error boundary path."""

from __future__ import annotations

import pytest

from engine import api
from tests.engine.incidents.conftest import FAILURE, SERVICE, QuotaExceeded, ServiceDown
from tests.engine.incidents.helpers import active_specs, events, start_and_fill
from tests.engine.runtime.helpers import active_rows


@pytest.mark.parametrize(
    ("process_key", "failure", "code"),
    [
        ("incident_caught", QuotaExceeded, "QuotaExceeded"),
        ("incident_catch_all", QuotaExceeded, "QuotaExceeded"),
        ("incident_catch_all", ServiceDown, "ServiceDown"),
    ],
)
def test_caught_error_runs_the_boundary_path(people, flaky, process_key, failure, code):
    flaky.failure = failure
    instance_id = start_and_fill(process_key, people)

    assert api.get_instance(instance_id).status == "running"
    assert active_specs(instance_id) == ["handle_failure"]
    (caught,) = events(instance_id, "service_error_caught")
    assert caught.task_spec == "call"
    assert caught.data == {"service": SERVICE, "error_code": code, "message": FAILURE}
    assert api.list_incidents(instance_id=instance_id, open_only=False) == []
    assert events(instance_id, "incident_opened") == []


def test_error_path_task_sees_the_error(people, flaky):
    flaky.failure = QuotaExceeded
    instance_id = start_and_fill("incident_caught", people)

    (handle,) = active_rows(instance_id)
    data = api.task_form_data(handle.id)
    assert data["service_error"]["error_code"] == "QuotaExceeded"
    assert data["service_error"]["message"] == FAILURE


def test_error_path_can_be_completed(people, flaky):
    flaky.failure = QuotaExceeded
    instance_id = start_and_fill("incident_caught", people)

    (handle,) = active_rows(instance_id)
    api.complete_task(handle.id, actor_id=people.starter.id, data={"comment": "已人工报送"})

    assert api.get_instance(instance_id).status == "completed"
    assert api.verify_history(instance_id).ok


def test_successful_call_records_service_called(people, flaky):
    instance_id = start_and_fill("incident_caught", people)

    assert active_specs(instance_id) == ["review"]
    (called,) = events(instance_id, "service_called")
    assert called.data["service"] == SERVICE
    assert "关于报送季度统计数据的通知" in called.data["result"]
    assert events(instance_id, "service_error_caught") == []
