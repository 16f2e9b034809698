"""Every object endpoint refuses users without rights, role by role, and another unit's user
guessing ids learns nothing: an unknown id answers exactly like a forbidden one."""

from __future__ import annotations

import io
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from engine.definitions import repository
from engine.runtime.wait_models import EngineMessage
from services.db import db
from services.org.roles import AUDITOR
from tests.api.helpers import QINGJIA, Caller, caller, with_password
from tests.api.test_workflow import LEAVE
from tests.org.factories import make_user


@dataclass
class Leave:
    instance_id: int
    apply_task_id: int
    approve_task_id: int


@pytest.fixture
def leave(client, org) -> Leave:
    """A 请假 instance waiting at the department head, its first step done by the clerk."""
    repository.clear_spec_cache()
    caller(client, "analyst").deploy(QINGJIA)
    clerk = caller(client, "clerk")
    started = clerk.post("/process-instances", json={"process_key": "qingjia"}).get_json()
    apply_id = started["current_tasks"][0]["id"]
    after = clerk.post(f"/tasks/{apply_id}/complete", json={"data": LEAVE}).get_json()
    yield Leave(started["id"], apply_id, after["current_tasks"][0]["id"])
    repository.clear_spec_cache()


# username -> instance, events, approve task, completed apply task
READS = {
    "clerk": (200, 200, 403, 200),
    "depthead": (200, 200, 200, 403),
    "sysadmin": (200, 200, 403, 403),
    "reg1": (403, 403, 403, 403),  # same unit, not involved
    "outsider": (403, 403, 403, 403),  # another unit
    "analyst": (403, 403, 403, 403),  # another unit, a designer role
}


@pytest.mark.parametrize("username", list(READS))
def test_reads_follow_the_pages_rules(client, leave, username):
    api = caller(client, username)
    got = (
        api.get(f"/process-instances/{leave.instance_id}").status_code,
        api.get(f"/process-instances/{leave.instance_id}/events").status_code,
        api.get(f"/tasks/{leave.approve_task_id}").status_code,
        api.get(f"/tasks/{leave.apply_task_id}").status_code,
    )
    assert got == READS[username]


def _task_actions(leave: Leave) -> list[tuple[str, dict[str, object]]]:
    task = f"/tasks/{leave.approve_task_id}"
    return [
        (f"{task}/complete", {"data": {"approved": True}}),
        (f"{task}/claim", {}),
        (f"{task}/send-back", {"target_task_spec": "apply", "reason": "材料不全"}),
        (f"{task}/reassign", {"to_user_id": 1, "reason": "出差"}),
        (f"{task}/add-signer", {"user_id": 1, "reason": "会签"}),
    ]


@pytest.mark.parametrize("username", ["clerk", "sysadmin", "reg1", "outsider", "analyst"])
def test_only_the_holder_acts_on_a_task(client, leave, username):
    api = caller(client, username)
    for path, body in _task_actions(leave):
        assert api.post(path, json=body).status_code == 403, path
    assert api.get(f"/tasks/{leave.approve_task_id}/return-targets").status_code in (403,)
    head = caller(client, "depthead")
    assert head.get(f"/tasks/{leave.approve_task_id}").get_json()["status"] == "open"


def _answer(api: Caller, path: str) -> tuple[int, dict[str, object]]:
    response = api.get(path)
    return response.status_code, response.get_json()


@pytest.mark.parametrize(
    "template",
    ["/process-instances/{}", "/process-instances/{}/events", "/tasks/{}"],
)
def test_guessing_ids_from_another_unit_leaks_nothing(client, leave, template):
    outsider = caller(client, "outsider")
    real = leave.instance_id if "instances" in template else leave.approve_task_id
    assert _answer(outsider, template.format(real)) == _answer(outsider, template.format(9999))
    assert _answer(outsider, template.format(real))[0] == 403


def test_holder_sends_back_and_the_clerk_sees_the_task_again(client, leave, org):
    head = caller(client, "depthead")
    targets = head.get(f"/tasks/{leave.approve_task_id}/return-targets").get_json()
    assert [t["task_spec"] for t in targets] == ["apply"]
    body = {"target_task_spec": "apply", "reason": "请补充请假事由"}
    back = head.post(f"/tasks/{leave.approve_task_id}/send-back", json=body)
    assert back.status_code == 200
    [again] = back.get_json()["current_tasks"]
    assert again["assignee_id"] == org.clerk.id
    restored = caller(client, "clerk").get(f"/tasks/{again['id']}").get_json()
    assert restored["data"]["reason"] == LEAVE["reason"]


def test_holder_reassigns_to_a_colleague(client, leave, org):
    head = caller(client, "depthead")
    body = {"to_user_id": org.registrar1.id, "reason": "出差期间请代办"}
    moved = head.post(f"/tasks/{leave.approve_task_id}/reassign", json=body)
    assert moved.status_code == 200
    assert moved.get_json()["assignee_id"] == org.registrar1.id
    assert caller(client, "reg1").get("/tasks").get_json()["total"] == 1


def test_clerk_withdraws_before_the_head_acts(client, leave, org):
    clerk = caller(client, "clerk")
    taken = clerk.post(f"/tasks/{leave.apply_task_id}/withdraw")
    assert taken.status_code == 200
    assert [t["task_spec"] for t in taken.get_json()["current_tasks"]] == ["apply"]


@pytest.mark.parametrize("username", ["clerk", "depthead", "analyst"])
def test_instance_administration_is_for_sysadmin(client, leave, username):
    api = caller(client, username)
    for action in ("suspend", "resume", "terminate"):
        path = f"/process-instances/{leave.instance_id}/{action}"
        assert api.post(path, json={"reason": "维护"}).status_code == 403, action


def test_sysadmin_suspends_and_the_holder_cannot_complete(client, leave):
    admin, head = caller(client, "sysadmin"), caller(client, "depthead")
    path = f"/process-instances/{leave.instance_id}/suspend"
    assert admin.post(path, json={"reason": "核查材料"}).get_json()["status"] == "suspended"
    blocked = head.post(f"/tasks/{leave.approve_task_id}/complete", json={"data": LEAVE})
    assert blocked.status_code in (409, 422)


def test_sysadmin_unblocks_a_stuck_task_on_behalf_of_its_holder(client, leave):
    path = f"/process-instances/{leave.instance_id}/unblock"
    body = {
        "reason": "负责人长期出差",
        "task_id": leave.approve_task_id,
        "data": {"approved": True},
    }
    assert caller(client, "depthead").post(path, json=body).status_code == 403
    done = caller(client, "sysadmin").post(path, json=body)
    assert done.status_code == 200
    assert done.get_json()["status"] == "completed"


def test_migration_dry_run_then_apply(client, leave):
    admin = caller(client, "sysadmin")
    renamed = QINGJIA.read_bytes().replace("部门负责人审批".encode(), "科室负责人审批".encode())
    upload = {"files": [(io.BytesIO(renamed), "qingjia.bpmn")]}
    assert admin.post("/process-definitions", data=upload).get_json()[0]["version"] == 2
    body = {"instance_ids": [leave.instance_id], "process_key": "qingjia", "to_version": 2}
    assert (
        caller(client, "clerk").post("/process-instances/migrations", json=body).status_code == 403
    )
    dry = admin.post("/process-instances/migrations", json=body).get_json()
    assert (dry["dry_run"], dry["plan"]["allowed"], dry["migrated"]) == (True, True, [])
    before = admin.get(f"/process-instances/{leave.instance_id}").get_json()["version_id"]
    applied = admin.post("/process-instances/migrations", json={**body, "dry_run": False})
    assert applied.get_json()["migrated"] == [leave.instance_id]
    after = admin.get(f"/process-instances/{leave.instance_id}").get_json()
    assert after["version_id"] == dry["plan"]["to_version_id"] != before
    assert after["current_tasks"][0]["id"] == leave.approve_task_id


def test_version_diff_names_the_changed_node(client, leave):
    admin = caller(client, "sysadmin")
    renamed = QINGJIA.read_bytes().replace("部门负责人审批".encode(), "科室负责人审批".encode())
    admin.post("/process-definitions", data={"files": [(io.BytesIO(renamed), "qingjia.bpmn")]})
    query = {"from": 1, "to": 2}
    diff = admin.get("/process-definitions/qingjia/diff", query_string=query).get_json()
    assert [c["spec"] for c in diff["changed"]] == ["dept_approve"]
    assert (diff["added"], diff["removed"]) == ([], [])
    clerk = caller(client, "clerk")
    assert clerk.get("/process-definitions/qingjia/diff", query_string=query).status_code == 403


@pytest.mark.parametrize(
    ("username", "status"), [("auditor", 200), ("clerk", 403), ("outsider", 403)]
)
def test_replay_is_for_auditors(client, leave, username, status):
    if username == "auditor":
        with_password(make_user("auditor", roles=(AUDITOR,)))
        db.session.commit()
    api = caller(client, username)
    response = api.get(f"/process-instances/{leave.instance_id}/replay")
    assert response.status_code == status
    events = caller(client, "sysadmin").get(f"/process-instances/{leave.instance_id}/events")
    last = events.get_json()["events"][-1]["seq"]
    as_of = api.get(f"/process-instances/{leave.instance_id}/events/{last}/data")
    assert as_of.status_code == status
    if status == 200:
        assert response.get_json()["ok"] is True
        assert as_of.get_json()["data"]["days"] == LEAVE["days"]


@pytest.mark.parametrize(("username", "status"), [("sysadmin", 404), ("clerk", 403)])
def test_timer_retry_is_for_sysadmin(client, org, username, status):
    response = caller(client, username).post("/timers/12345/retry")
    assert response.status_code == status
    assert response.get_json()["error"]["message"]


@pytest.mark.parametrize(
    ("username", "status"), [("sysadmin", 202), ("clerk", 403), ("analyst", 403)]
)
def test_messages_are_for_sysadmin(client, org, username, status):
    body = {"name": "材料补齐", "correlation": {"business_key": "QJ-1"}, "payload": {"ok": True}}
    response = caller(client, username).post("/messages", json=body)
    assert response.status_code == status
    queued = db.session.scalars(select(EngineMessage)).all()
    assert len(queued) == (1 if status == 202 else 0)
