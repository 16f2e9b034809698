"""委托 through the API: a user delegates for a period, new tasks go to the delegate and stay
visible to the delegator; only the owner revokes a rule."""

from __future__ import annotations

import pytest

from engine.definitions import repository
from tests.api.helpers import QINGJIA, caller
from tests.api.test_workflow import LEAVE

PERIOD = {"starts_at": "2020-01-01T00:00:00+08:00", "ends_at": "2099-01-01T00:00:00+08:00"}


@pytest.fixture(autouse=True)
def fresh_spec_cache():
    repository.clear_spec_cache()
    yield
    repository.clear_spec_cache()


def test_delegated_task_goes_to_the_delegate_and_stays_visible(client, org):
    caller(client, "analyst").deploy(QINGJIA)
    head, reg1, clerk = caller(client, "depthead"), caller(client, "reg1"), caller(client, "clerk")
    body = {"delegate_id": org.registrar1.id, "reason": "休假", **PERIOD}
    assert head.post("/delegations", json=body).status_code == 201
    task = clerk.post("/process-instances", json={"process_key": "qingjia"}).get_json()
    applied = clerk.post(f"/tasks/{task['current_tasks'][0]['id']}/complete", json={"data": LEAVE})
    [approve] = applied.get_json()["current_tasks"]
    assert approve["assignee_id"] == org.registrar1.id
    assert [t["id"] for t in head.get("/delegations/tasks").get_json()] == [approve["id"]]
    assert head.get(f"/tasks/{approve['id']}").status_code == 200
    assert reg1.get("/tasks").get_json()["total"] == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"starts_at": "2026-01-01T00:00:00"}, "starts_at"),  # no time zone
        ({"ends_at": "tomorrow"}, "ends_at"),
        ({"delegate_id": None}, "delegate_id"),
        ({"process_keys": "qingjia"}, "process_keys"),
    ],
)
def test_bad_delegation_is_422(client, org, change, field):
    body = {"delegate_id": org.registrar1.id, **PERIOD, **change}
    response = caller(client, "depthead").post("/delegations", json=body)
    assert response.status_code == 422
    assert field in response.get_json()["error"]["errors"]


def test_only_the_owner_revokes_and_unknown_ids_look_the_same(client, org):
    head, outsider = caller(client, "depthead"), caller(client, "outsider")
    body = {"delegate_id": org.registrar1.id, **PERIOD}
    rule_id = head.post("/delegations", json=body).get_json()["id"]
    theirs = outsider.post(f"/delegations/{rule_id}/revoke")
    unknown = outsider.post(f"/delegations/{rule_id + 100}/revoke")
    assert theirs.status_code == unknown.status_code == 403
    assert theirs.get_json() == unknown.get_json()
    assert head.post(f"/delegations/{rule_id}/revoke").get_json()["revoked"] is True
