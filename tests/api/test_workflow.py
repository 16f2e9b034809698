"""An external system drives a whole 请假 process through /api/v1 with bearer tokens only:
deploy the BPMN file, start, list, open, complete, read the history."""

from __future__ import annotations

import io

import pytest

from engine.definitions import repository
from tests.api.helpers import BPMN_DIR, QINGJIA, caller

LEAVE = {"leave_type": "事假", "start_date": "2026-12-01", "days": 2, "reason": "家中有事"}


@pytest.fixture(autouse=True)
def fresh_spec_cache():
    repository.clear_spec_cache()
    yield
    repository.clear_spec_cache()


def _start(clerk, **extra):
    body = {"process_key": "qingjia", "data": {}, "business_key": "QJ-2026-001", **extra}
    response = clerk.post("/process-instances", json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_external_client_runs_a_leave_request_end_to_end(client, org):
    analyst = caller(client, "analyst")
    deployed = analyst.deploy(QINGJIA)
    assert deployed.status_code == 201
    assert deployed.get_json() == [{"key": "qingjia", "version": 1, "created": True}]
    clerk, head = caller(client, "clerk"), caller(client, "depthead")

    started = _start(clerk)
    assert started["status"] == "running"
    [apply_task] = started["current_tasks"]
    assert (apply_task["task_spec"], apply_task["assignee_id"]) == ("apply", org.clerk.id)

    inbox = clerk.get("/tasks", query_string={"scope": "mine", "process_key": "qingjia"})
    assert [t["id"] for t in inbox.get_json()["items"]] == [apply_task["id"]]
    opened = clerk.get(f"/tasks/{apply_task['id']}").get_json()
    assert opened["form"]["key"] == "qingjia_apply"
    assert "days" in opened["form"]["schema"]["required"]

    submitted = clerk.post(f"/tasks/{apply_task['id']}/complete", json={"data": LEAVE})
    assert submitted.status_code == 200
    [approve_task] = submitted.get_json()["current_tasks"]
    assert approve_task["assignee_id"] == org.depthead.id

    assert head.get("/tasks").get_json()["total"] == 1
    done = head.post(f"/tasks/{approve_task['id']}/complete", json={"data": {"approved": True}})
    assert done.get_json()["status"] == "completed"
    assert done.get_json()["current_tasks"] == []

    history = clerk.get(f"/process-instances/{started['id']}/events").get_json()
    kinds = [event["kind"] for event in history["events"]]
    assert kinds[0] == "instance_started"
    assert kinds.count("task_completed") == 2
    assert history["chain"]["ok"] is True
    assert clerk.get("/tasks", query_string={"box": "done"}).get_json()["total"] == 1


def test_deploy_lists_versions_and_keeps_identical_content(client, org):
    admin = caller(client, "sysadmin")
    assert admin.deploy(QINGJIA).status_code == 201
    again = admin.deploy(QINGJIA)
    assert again.get_json() == [{"key": "qingjia", "version": 1, "created": False}]
    listed = admin.get("/process-definitions").get_json()
    assert [(d["key"], d["latest_version"]) for d in listed] == [("qingjia", 1)]
    versions = admin.get("/process-definitions/qingjia/versions").get_json()
    assert [(v["version"], v["name"]) for v in versions] == [(1, "请假申请")]
    assert admin.get("/process-definitions/nothing/versions").status_code == 404


def test_invalid_bpmn_gets_422_naming_file_and_element(client, org):
    response = caller(client, "analyst").deploy(BPMN_DIR / "api_broken.bpmn")
    assert response.status_code == 422
    errors = response.get_json()["error"]["errors"]
    assert {"file", "element_id", "message"} <= set(errors[0])
    assert ("api_broken.bpmn", "check") in {(e["file"], e["element_id"]) for e in errors}
    assert repository.list_definitions() == []


@pytest.mark.parametrize(
    ("files", "field_message"),
    [([], "至少上传"), ([(b"x", "notes.txt")], "不是 .bpmn")],
    ids=["no-files", "wrong-type"],
)
def test_deploy_rejects_bad_uploads(client, org, files, field_message):
    analyst = caller(client, "analyst")
    uploads = [(io.BytesIO(content), name) for content, name in files]
    response = analyst.post("/process-definitions", data={"files": uploads})
    assert response.status_code == 422
    assert field_message in response.get_json()["error"]["errors"]["files"]


@pytest.mark.parametrize("username", ["clerk", "outsider", "depthead"])
def test_deploy_needs_sysadmin_or_analyst(client, org, username):
    response = caller(client, username).deploy(QINGJIA)
    assert response.status_code == 403
    assert repository.list_definitions() == []


def test_invalid_form_data_is_422_per_field_and_nothing_moves(client, org):
    caller(client, "analyst").deploy(QINGJIA)
    clerk = caller(client, "clerk")
    task = _start(clerk)["current_tasks"][0]
    bad = {**LEAVE, "days": "two"}
    response = clerk.post(f"/tasks/{task['id']}/complete", json={"data": bad})
    assert response.status_code == 422
    assert "days" in response.get_json()["error"]["errors"]
    assert clerk.get(f"/tasks/{task['id']}").get_json()["status"] == "open"


def test_group_task_is_claimed_then_completed(client, org):
    caller(client, "analyst").deploy(BPMN_DIR / "api_group.bpmn")
    clerk, reg1, reg2 = (caller(client, name) for name in ("clerk", "reg1", "reg2"))
    task = _start(clerk, process_key="api_group")["current_tasks"][0]
    assert task["assignee_id"] is None
    claimable = reg2.get("/tasks", query_string={"box": "claimable"}).get_json()
    assert [t["id"] for t in claimable["items"]] == [task["id"]]
    early = reg1.post(f"/tasks/{task['id']}/complete", json={"data": {}})
    assert early.status_code == 403
    claimed = reg1.post(f"/tasks/{task['id']}/claim")
    assert claimed.get_json()["assignee_id"] == org.registrar1.id
    assert reg2.post(f"/tasks/{task['id']}/claim").status_code == 409
    done = reg1.post(f"/tasks/{task['id']}/complete", json={"data": {"comment": "已登记"}})
    assert done.get_json()["status"] == "completed"


def test_stale_revision_is_a_conflict(client, org):
    caller(client, "analyst").deploy(QINGJIA)
    clerk = caller(client, "clerk")
    started = _start(clerk)
    task = started["current_tasks"][0]
    body = {"data": LEAVE, "expected_revision": started["revision"] + 5}
    assert clerk.post(f"/tasks/{task['id']}/complete", json=body).status_code == 409


BAD_FILTERS = [
    ({"scope": "all"}, "scope"),
    ({"box": "nonsense"}, "box"),
    ({"sort": "name"}, "sort"),
    ({"page": "x"}, "page"),
    ({"per_page": "1000"}, "page"),
    ({"page": str(2**40)}, "page"),
]


def test_bad_inbox_filters_are_422(client, org):
    clerk = caller(client, "clerk")
    for query, field in BAD_FILTERS:
        response = clerk.get("/tasks", query_string=query)
        assert response.status_code == 422, query
        assert field in response.get_json()["error"]["errors"], query


def test_start_validates_the_body(client, org):
    clerk = caller(client, "clerk")
    for body in ({"data": {}}, {"process_key": 5}, {"process_key": "qingjia", "data": []}):
        assert clerk.post("/process-instances", json=body).status_code == 422, body


def test_start_of_an_undeployed_process_is_404(client, org):
    response = caller(client, "clerk").post("/process-instances", json={"process_key": "nope"})
    assert response.status_code == 404
    assert "尚未部署" in response.get_json()["error"]["message"]


def test_inbox_filters_by_the_unit_of_the_instance(client, org):
    caller(client, "analyst").deploy(QINGJIA)
    clerk = caller(client, "clerk")
    [task] = _start(clerk)["current_tasks"]

    def ids(unit_id):
        found = clerk.get("/tasks", query_string={"unit_id": unit_id}).get_json()
        return [t["id"] for t in found["items"]]

    assert ids(org.clerk.unit_id) == [task["id"]]
    assert ids(org.clerk.unit_id + 1000) == []
    bad = clerk.get("/tasks", query_string={"unit_id": "x"})
    assert bad.status_code == 422


def test_a_timer_started_process_cannot_be_started_through_the_api(client, org):
    timer_bpmn = BPMN_DIR.parents[1] / "engine" / "timers" / "bpmn" / "timers_hourly.bpmn"
    assert caller(client, "analyst").deploy(timer_bpmn).status_code == 201
    refused = caller(client, "clerk").post(
        "/process-instances", json={"process_key": "timers_hourly"}
    )
    assert refused.status_code == 403
    assert "由定时器按时自动启动，不能手工发起" in refused.get_json()["error"]["message"]
