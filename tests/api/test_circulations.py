"""传阅 and 催办 through /api/v1: circulate, list 待阅, batch 阅知, recall, read receipts, urge;
and a user of another unit guessing ids gets 403 everywhere."""

from __future__ import annotations

import pytest

from engine.definitions import repository
from tests.api.helpers import QINGJIA, caller
from tests.api.test_workflow import LEAVE


@pytest.fixture(autouse=True)
def fresh_spec_cache():
    repository.clear_spec_cache()
    yield
    repository.clear_spec_cache()


@pytest.fixture
def started(client, org):
    """The clerk's 请假 submitted: it waits for the department head."""
    caller(client, "analyst").deploy(QINGJIA)
    clerk = caller(client, "clerk")
    instance = clerk.post("/process-instances", json={"process_key": "qingjia"}).get_json()
    task_id = instance["current_tasks"][0]["id"]
    applied = clerk.post(f"/tasks/{task_id}/complete", json={"data": LEAVE}).get_json()
    return clerk, applied


def _circulate(clerk, instance_id, **body):
    return clerk.post(f"/process-instances/{instance_id}/circulations", json=body)


def test_circulate_read_in_batch_and_see_receipts(client, org, started):
    clerk, instance = started
    response = _circulate(clerk, instance["id"], user_ids=[org.registrar1.id], note="请阅")
    assert response.status_code == 201
    assert response.get_json()["reader_ids"] == [org.registrar1.id]
    reader = caller(client, "reg1")
    page = reader.get("/readings?state=unread").get_json()
    assert page["total"] == 1 and page["items"][0]["note"] == "请阅"
    # The reader may open the instance now.
    assert reader.get(f"/process-instances/{instance['id']}").status_code == 200
    ids = [item["id"] for item in page["items"]]
    done = reader.post("/readings/read", json={"ids": ids, "comment": "已阅"})
    assert done.get_json() == {"read": 1, "unread": 0}
    [receipt] = clerk.get(f"/process-instances/{instance['id']}/readings").get_json()
    assert receipt["status"] == "read" and receipt["read_at"] and receipt["comment"] == "已阅"
    assert reader.get("/readings?state=read").get_json()["total"] == 1


def test_department_expands_to_its_members(client, org, started):
    clerk, instance = started
    office_id = org.clerk.department_id
    response = _circulate(clerk, instance["id"], department_ids=[office_id])
    readers = set(response.get_json()["reader_ids"])
    assert org.registrar2.id in readers and org.clerk.id not in readers
    assert org.outsider.id not in readers


def test_sender_recalls_unread(client, org, started):
    clerk, instance = started
    circulation = _circulate(clerk, instance["id"], user_ids=[org.registrar1.id]).get_json()
    recalled = clerk.post(f"/circulations/{circulation['id']}/recall", json={})
    assert recalled.get_json()["recalled"] == 1
    assert caller(client, "reg1").get("/readings").get_json()["total"] == 0
    again = clerk.post(f"/circulations/{circulation['id']}/recall")
    assert again.status_code == 409


def test_starter_urges_the_head_once_an_hour(client, org, started):
    clerk, instance = started
    task_id = instance["current_tasks"][0]["id"]
    first = clerk.post(f"/tasks/{task_id}/urge", json={"message": "请尽快"})
    assert first.get_json()["notified_user_ids"] == [org.depthead.id]
    second = clerk.post(f"/tasks/{task_id}/urge")
    assert second.status_code == 409
    assert "一小时内已催办过" in second.get_json()["error"]["message"]
    events = clerk.get(f"/process-instances/{instance['id']}/events").get_json()
    kinds = [e["kind"] for e in events["events"]]
    assert "task_urged" in kinds


def test_outsider_guessing_ids_gets_403(client, org, started):
    clerk, instance = started
    circulation = _circulate(clerk, instance["id"], user_ids=[org.registrar1.id]).get_json()
    item_id = caller(client, "reg1").get("/readings").get_json()["items"][0]["id"]
    task_id = instance["current_tasks"][0]["id"]
    outsider = caller(client, "outsider")
    attempts = [
        outsider.post(f"/process-instances/{instance['id']}/circulations", json={"user_ids": [1]}),
        outsider.get(f"/process-instances/{instance['id']}/readings"),
        outsider.post(f"/circulations/{circulation['id']}/recall"),
        outsider.post("/readings/read", json={"ids": [item_id]}),
        outsider.post(f"/tasks/{task_id}/urge"),
        outsider.post(f"/tasks/{task_id + 1000}/urge"),
        outsider.post(f"/circulations/{circulation['id'] + 1000}/recall"),
    ]
    assert [r.status_code for r in attempts] == [403] * len(attempts)
    assert outsider.get("/readings").get_json()["total"] == 0
    assert caller(client, "reg1").get("/readings").get_json()["total"] == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"user_ids": "1"}, "user_ids"),
        ({"user_ids": [True]}, "user_ids"),
        ({"department_ids": [0]}, "department_ids"),
        ({"note": 5}, "note"),
        ({}, "readers"),
    ],
)
def test_bad_circulation_body_is_422(client, org, started, body, field):
    clerk, instance = started
    response = _circulate(clerk, instance["id"], **body)
    assert response.status_code == 422
    assert field in response.get_json()["error"]["errors"]


def test_bad_readings_query_is_422(client, org):
    response = caller(client, "clerk").get("/readings?state=gone")
    assert response.status_code == 422
