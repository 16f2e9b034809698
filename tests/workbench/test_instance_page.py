"""The instance view, its diagram JSON, 关注, and the bpmn-js files: who may see what."""

from __future__ import annotations

import lxml.html
import pytest

from engine import api
from services.db import db
from services.org.roles import SYSADMIN
from tests.auth.helpers import PASSWORD, csrf_token, login, make_user
from tests.workbench.helpers import APPLY, logged_in, open_task_of, start_qingjia, submit


@pytest.fixture
def submitted(office):
    """The clerk started 请假 and submitted it; the head now holds 部门负责人审批."""
    task = start_qingjia(office.clerk.id)
    api.complete_task(task.id, actor_id=office.clerk.id, data={**APPLY, "days": 2})
    db.session.commit()
    return task


@pytest.mark.parametrize(
    ("username", "status"),
    [("clerk1", 200), ("head1", 200), ("colleague1", 403), ("outsider1", 403)],
)
def test_instance_view_permissions(client, office, submitted, username, status) -> None:
    client = logged_in(client, username)
    for path in (
        f"/workbench/instances/{submitted.instance_id}",
        f"/workbench/instances/{submitted.instance_id}/diagram.json",
    ):
        response = client.get(path)
        assert response.status_code == status, path
        if status == 403:
            assert "家中有事" not in response.get_data(as_text=True)


def test_supervisor_role_sees_any_instance(client, office, submitted) -> None:
    make_user("admin2", name="管理员", roles=(SYSADMIN,))
    db.session.commit()
    assert login(client, "admin2", PASSWORD).status_code == 302
    assert client.get(f"/workbench/instances/{submitted.instance_id}").status_code == 200


def test_unknown_instance_is_forbidden_like_others(client, office) -> None:
    assert logged_in(client, "clerk1").get("/workbench/instances/424242").status_code == 403


def test_timeline_current_assignee_and_data(client, office, submitted) -> None:
    html = (
        logged_in(client, "clerk1")
        .get(f"/workbench/instances/{submitted.instance_id}")
        .get_data(as_text=True)
    )
    for text in (
        "发起流程",
        "办理完成",
        "「填写申请」",
        "请假事由",
        "家中有事",
        "部门负责人审批：李科长",
    ):
        assert text in html, text


def test_diagram_json_marks_path_and_current(client, office, submitted) -> None:
    body = (
        logged_in(client, "head1")
        .get(f"/workbench/instances/{submitted.instance_id}/diagram.json")
        .get_json()
    )
    assert '<bpmn:process id="qingjia"' in body["xml"]
    assert "apply" in body["completed"] and "dept_approve" not in body["completed"]
    assert body["current"] == ["dept_approve"]


def test_opinion_history_on_task_page(client, office, submitted) -> None:
    head_task = open_task_of(office.head.id)
    path = f"/workbench/tasks/{head_task.id}"
    head = logged_in(client, "head1")
    reply = submit(head, path, {"approved": "false", "opinions": "请补充材料"})
    assert reply.status_code == 302, reply.get_data(as_text=True)
    head.post("/logout", data={"csrf_token": csrf_token(head, path)})
    resubmit = open_task_of(office.clerk.id)
    html = logged_in(client, "clerk1").get(f"/workbench/tasks/{resubmit.id}").get_data(as_text=True)
    assert "请补充材料" in html and "李科长" in html
    signed = lxml.html.fromstring(html).xpath("//section[contains(@class,'wb-signed')]//li")
    assert [e.xpath("string(.//span[@class='opinion-user'])") for e in signed] == ["李科长"]
    assert 'value="家中有事"' in html or ">家中有事<" in html  # earlier input shown again


def test_follow_and_unfollow(client, office, submitted) -> None:
    client = logged_in(client, "head1")
    path = f"/workbench/instances/{submitted.instance_id}"
    assert (
        client.post(f"{path}/follow", data={"csrf_token": csrf_token(client, path)}).status_code
        == 302
    )
    following = client.get("/workbench/?tab=following").get_data(as_text=True)
    assert 'data-tab="following">关注<span class="wb-count">1</span>' in following
    assert path in following
    client.post(f"{path}/unfollow", data={"csrf_token": csrf_token(client, path)})
    assert "暂无关注事项" in client.get("/workbench/?tab=following").get_data(as_text=True)


def test_outsider_cannot_follow(client, office, submitted) -> None:
    client = logged_in(client, "outsider1")
    token = csrf_token(client, "/workbench/")
    response = client.post(
        f"/workbench/instances/{submitted.instance_id}/follow", data={"csrf_token": token}
    )
    assert response.status_code == 403
    assert '关注<span class="wb-count">0' in client.get("/workbench/").get_data(as_text=True)


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("bpmn-navigated-viewer.production.min.js", 200),
        ("assets/bpmn-js.css", 200),
        ("assets/bpmn-font/font/bpmn.woff2", 200),
        ("bpmn-modeler.production.min.js", 404),
        ("assets/../../package.json", 404),
        ("../package.json", 404),
    ],
)
def test_vendor_route_serves_only_the_viewer(client, app, path, status) -> None:
    response = client.get(f"/workbench/vendor/bpmn-js/{path}")
    assert response.status_code == status
    response.close()
