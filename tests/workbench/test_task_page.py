"""The task page: form, submission, validation errors, stale tasks and who may open it."""

from __future__ import annotations

import re

import pytest

from engine import api
from services.db import db
from tests.auth.helpers import csrf_token
from tests.workbench.helpers import APPLY, logged_in, open_task_of, start_qingjia, submit


def test_holder_sees_summary_form_and_diagram(client, office) -> None:
    task = start_qingjia(office.clerk.id, title="张科员请假")
    page = logged_in(client, "clerk1").get(f"/workbench/tasks/{task.id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    for text in ("张科员请假", "填写申请", "张科员", 'name="leave_type"', "提交", "流程图"):
        assert text in html
    assert f"/workbench/instances/{task.instance_id}/diagram.json" in html


def test_submit_completes_and_next_user_gets_task(client, office) -> None:
    task = start_qingjia(office.clerk.id)
    response = submit(logged_in(client, "clerk1"), f"/workbench/tasks/{task.id}", APPLY)
    assert response.status_code == 302
    assert api.get_task(task.id).completed_by_id == office.clerk.id
    approve = open_task_of(office.head.id)
    assert approve.name == "部门负责人审批"


def test_validation_error_keeps_input_and_saves_nothing(client, office) -> None:
    task = start_qingjia(office.clerk.id)
    bad = {**APPLY, "days": "很多", "reason": "我的独特事由"}
    response = submit(logged_in(client, "clerk1"), f"/workbench/tasks/{task.id}", bad)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "我的独特事由" in html and "很多" in html
    assert api.get_task(task.id).completed_at is None


def test_double_submit_shows_stale_message(client, office) -> None:
    task = start_qingjia(office.clerk.id)
    path = f"/workbench/tasks/{task.id}"
    logged_in(client, "clerk1")
    token_page = client.get(path).get_data(as_text=True)
    assert 'name="leave_type"' in token_page
    assert submit(client, path, APPLY).status_code == 302
    again = client.post(path, data={**APPLY, "csrf_token": _token(token_page)})
    assert again.status_code == 409
    assert "已被他人处理" in again.get_data(as_text=True)
    assert open_task_of(office.head.id).name == "部门负责人审批"  # not completed twice


def test_completed_task_page_shows_message_instead_of_form(client, office) -> None:
    task = start_qingjia(office.clerk.id)
    api.complete_task(task.id, actor_id=office.clerk.id, data={**APPLY, "days": 2})
    db.session.commit()
    html = logged_in(client, "clerk1").get(f"/workbench/tasks/{task.id}").get_data(as_text=True)
    assert "已办理完毕" in html
    assert 'name="leave_type"' not in html


@pytest.mark.parametrize("username", ["outsider1", "colleague1"])
def test_task_of_someone_else_is_forbidden(client, office, username) -> None:
    task = start_qingjia(office.clerk.id)
    client = logged_in(client, username)
    page = client.get(f"/workbench/tasks/{task.id}")
    assert page.status_code == 403
    assert "无权" in page.get_data(as_text=True)
    assert "请假" not in page.get_data(as_text=True)
    token = csrf_token(client, "/workbench/")  # from a page the user may see
    posted = client.post(f"/workbench/tasks/{task.id}", data={**APPLY, "csrf_token": token})
    assert posted.status_code == 403
    assert api.get_task(task.id).completed_at is None


def test_unknown_task_id_answers_like_a_forbidden_one(client, office) -> None:
    page = logged_in(client, "outsider1").get("/workbench/tasks/999999")
    assert page.status_code == 403


def _token(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match
    return match.group(1)
