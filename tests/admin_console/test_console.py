"""流程管理: definitions and versions, deploy upload, redeploy, diff, instance counts,
instance operations and migration, for 系统管理员 only."""

from __future__ import annotations

import io

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from engine import api
from engine.definitions import repository
from engine.runtime.models import ProcessInstance
from engine.runtime.wait_models import EngineTimer
from services.audit.models import AuditEvent
from services.db import db
from services.org.roles import ANALYST, AUDITOR
from tests.admin_console.helpers import add_failed_timer, assert_requeued
from tests.auth.helpers import csrf_token, make_user, post_form
from tests.studio.helpers import QINGJIA, client_for, forget_csrf, renamed_qingjia

FLOW_WITHOUT_ID = QINGJIA.replace('<bpmn:sequenceFlow id="flow_to_dept" ', "<bpmn:sequenceFlow ")


def _upload(client: FlaskClient, files: dict[str, str], comment: str = "") -> TestResponse:
    forget_csrf()
    data: dict[str, object] = {"csrf_token": csrf_token(client, "/admin/"), "comment": comment}
    data["files"] = [(io.BytesIO(text.encode()), name) for name, text in files.items()]
    return client.post("/admin/deploy", data=data, content_type="multipart/form-data")


def _deploy(xml: str = QINGJIA, comment: str = "") -> int:
    deployed = repository.deploy({"qingjia.bpmn": xml.encode()}, deployed_by=None, comment=comment)
    db.session.commit()
    return deployed[0].version_id


def _start(count: int = 1) -> list[int]:
    starter = make_user(name="李四")
    ids = [api.start_instance("qingjia", starter_id=starter.id).id for _ in range(count)]
    db.session.commit()
    return ids


def _post(client: FlaskClient, path: str, data: dict[str, object]) -> TestResponse:
    forget_csrf()
    return post_form(client, path, data)  # type: ignore[arg-type]  (lists for multi-value fields)


@pytest.mark.parametrize(
    ("username", "roles"), [("clerk", ()), ("analyst", (ANALYST,)), ("auditor1", (AUDITOR,))]
)
def test_only_system_administrators_get_in(
    app: Flask, username: str, roles: tuple[str, ...]
) -> None:
    version_id = _deploy()
    (instance_id,) = _start()
    client = client_for(app, username, roles)
    for path in (
        "/admin/",
        "/admin/processes/qingjia",
        "/admin/processes/qingjia/diff?from=1&to=1",
    ):
        assert client.get(path).status_code == 403, path
    for path in (
        f"/admin/versions/{version_id}/redeploy",
        f"/admin/instances/{instance_id}/terminate",
        "/admin/processes/qingjia/migration/plan",
        "/admin/timers/1/retry",
    ):
        assert _post(client, path, {"reason": "x"}).status_code == 403, path
    assert db.session.get(ProcessInstance, instance_id).status == "running"  # type: ignore[union-attr]
    assert len(repository.list_versions("qingjia")) == 1


def test_upload_deploys_a_new_version_and_audits(admin: FlaskClient) -> None:
    assert _upload(admin, {"qingjia.bpmn": QINGJIA}, "首次").status_code == 302
    reply = _upload(admin, {"qingjia.bpmn": renamed_qingjia()}, "改名")
    assert reply.headers["Location"] == "/admin/processes/qingjia"
    assert [v.version for v in repository.list_versions("qingjia")] == [1, 2]
    page = admin.get("/admin/processes/qingjia").get_data(as_text=True)
    assert "已部署 请假申请（qingjia）v2" in page and "改名" in page
    actions = db.session.scalars(
        select(AuditEvent.object_id).where(AuditEvent.action == "process.deploy")
    ).all()
    assert actions == ["qingjia", "qingjia"]


@pytest.mark.parametrize(
    ("files", "fragment"),
    [
        ({"qingjia.bpmn": FLOW_WITHOUT_ID}, "缺少 id"),
        ({"notes.txt": "hello"}, "只能上传 .bpmn 或 .dmn 文件"),
    ],
)
def test_a_refused_upload_explains_and_stores_nothing(
    admin: FlaskClient, files: dict[str, str], fragment: str
) -> None:
    reply = _upload(admin, files)
    assert reply.status_code == 422
    assert fragment in reply.get_data(as_text=True)
    assert repository.list_definitions() == []


def test_versions_show_instance_counts_and_redeploy_makes_a_new_version(
    admin: FlaskClient,
) -> None:
    first = _deploy()
    _start(2)
    _deploy(renamed_qingjia())
    page = admin.get("/admin/processes/qingjia").get_data(as_text=True)
    assert 'data-version="1"' in page and "2 / 0 / 0 / 0 / 0" in page
    assert "0 / 0 / 0 / 0 / 0" in page  # v2 has no instances yet
    assert _post(admin, f"/admin/versions/{first}/redeploy", {}).status_code == 302
    latest = repository.latest_version("qingjia")
    assert latest.version == 3 and latest.files["qingjia.bpmn"] == QINGJIA
    assert latest.comment == "重新部署 v1"


def test_diff_lists_the_renamed_node(admin: FlaskClient) -> None:
    _deploy()
    _deploy(renamed_qingjia())
    page = admin.get("/admin/processes/qingjia/diff?from=1&to=2").get_data(as_text=True)
    assert "修改节点（1）" in page and "<code>apply</code>" in page
    assert "新增节点（0）" in page and "删除节点（0）" in page
    assert admin.get("/admin/processes/qingjia/diff?from=1&to=9").status_code == 404


@pytest.mark.parametrize(
    ("steps", "status"),
    [
        (("suspend",), "suspended"),
        (("suspend", "resume"), "running"),
        (("terminate",), "terminated"),
    ],
)
def test_instance_operations_need_a_reason_and_are_audited(
    admin: FlaskClient, steps: tuple[str, ...], status: str
) -> None:
    _deploy()
    (instance_id,) = _start()
    refused = _post(admin, f"/admin/instances/{instance_id}/{steps[0]}", {"reason": " "})
    assert refused.status_code == 422
    for step in steps:
        reply = _post(admin, f"/admin/instances/{instance_id}/{step}", {"reason": "测试"})
        assert reply.status_code == 302
    db.session.expire_all()
    assert db.session.get(ProcessInstance, instance_id).status == status  # type: ignore[union-attr]
    audited = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.object_type == "process_instance")
    ).all()
    assert audited == [f"instance.{s}" for s in steps]


def test_unblock_asks_for_a_task_or_a_step(admin: FlaskClient) -> None:
    _deploy()
    (instance_id,) = _start()
    reply = _post(admin, f"/admin/instances/{instance_id}/unblock", {"reason": "卡住了"})
    assert reply.status_code == 422
    assert "二选一" in reply.get_data(as_text=True)


def test_migration_dry_run_then_apply(admin: FlaskClient) -> None:
    _deploy()
    ids = _start(2)
    target = _deploy(renamed_qingjia())
    form = {"instance_ids": [str(i) for i in ids], "to_version_id": str(target)}
    plan = _post(admin, "/admin/processes/qingjia/migration/plan", form)
    text = plan.get_data(as_text=True)
    assert "预演通过" in text and "确认迁移" in text
    assert {i.version_id for i in db.session.scalars(select(ProcessInstance))} != {target}
    revisions = {f"revision_{i}": str(db.session.get(ProcessInstance, i).revision) for i in ids}  # type: ignore[union-attr]
    reply = _post(admin, "/admin/processes/qingjia/migration/apply", {**form, **revisions})
    assert reply.status_code == 302
    db.session.expire_all()
    assert {i.version_id for i in db.session.scalars(select(ProcessInstance))} == {target}


def test_migration_refuses_a_stale_dry_run(admin: FlaskClient) -> None:
    first = _deploy()
    (instance_id,) = _start()
    target = _deploy(renamed_qingjia())
    form = {
        "instance_ids": [str(instance_id)],
        "to_version_id": str(target),
        f"revision_{instance_id}": "-1",
    }
    reply = _post(admin, "/admin/processes/qingjia/migration/apply", form)
    assert reply.status_code == 409
    db.session.expire_all()
    assert db.session.get(ProcessInstance, instance_id).version_id == first  # type: ignore[union-attr]


def test_failed_timers_are_listed_and_retried(admin: FlaskClient) -> None:
    _deploy()
    (instance_id,) = _start()
    timer = add_failed_timer(
        EngineTimer,
        instance_id=instance_id,
        spiff_task_id="00000000-0000-0000-0000-000000000001",
        task_spec="remind",
        task_name="催办提醒",
        kind="boundary",
        last_error="通知服务不可用",
    )
    page = admin.get("/admin/processes/qingjia").get_data(as_text=True)
    assert "催办提醒" in page and "通知服务不可用" in page
    reply = _post(admin, f"/admin/timers/{timer.id}/retry", {})
    assert reply.status_code == 302
    assert_requeued(timer)
    assert "没有失败的定时器" in admin.get("/admin/processes/qingjia").get_data(as_text=True)
