"""The task page's other actions: 退回 and 转办 through the page, refused to outsiders."""

from __future__ import annotations

import pytest

from engine import api
from services.db import db
from tests.auth.helpers import csrf_token
from tests.workbench.helpers import APPLY, logged_in, open_task_of, start_qingjia


@pytest.fixture
def head_task(office) -> api.TaskView:
    task = start_qingjia(office.clerk.id)
    api.complete_task(task.id, actor_id=office.clerk.id, data={**APPLY, "days": 2})
    db.session.commit()
    return open_task_of(office.head.id)


def _post(client, task: api.TaskView, action: str, data: dict[str, str]):
    token = csrf_token(client, "/workbench/")
    return client.post(f"/workbench/tasks/{task.id}/{action}", data={**data, "csrf_token": token})


def test_task_page_offers_send_back_to_earlier_step(client, office, head_task) -> None:
    html = logged_in(client, "head1").get(f"/workbench/tasks/{head_task.id}").get_data(as_text=True)
    assert f'action="/workbench/tasks/{head_task.id}/send-back"' in html
    assert '<option value="apply">填写申请</option>' in html


def test_send_back_returns_task_to_clerk(client, office, head_task) -> None:
    client = logged_in(client, "head1")
    response = _post(client, head_task, "send-back", {"target": "apply", "reason": "材料不全"})
    assert response.status_code == 302
    assert open_task_of(office.clerk.id).task_spec == "apply"


def test_reassign_hands_task_over(client, office, head_task) -> None:
    client = logged_in(client, "head1")
    response = _post(client, head_task, "reassign", {"user": "colleague1", "reason": "出差"})
    assert response.status_code == 302
    assert open_task_of(office.colleague.id).name == "部门负责人审批"


@pytest.mark.parametrize("action", ["send-back", "reassign", "add-signer", "withdraw"])
def test_outsider_cannot_act(client, office, head_task, action) -> None:
    client = logged_in(client, "outsider1")
    data = {"target": "apply", "reason": "试试", "user": "outsider1"}
    assert _post(client, head_task, action, data).status_code == 403
    assert open_task_of(office.head.id).id == head_task.id


def test_missing_reason_is_refused(client, office, head_task) -> None:
    client = logged_in(client, "head1")
    response = _post(client, head_task, "send-back", {"target": "apply", "reason": " "})
    assert response.status_code == 422
    assert open_task_of(office.head.id).id == head_task.id


def test_completer_withdraws_from_the_stale_page(client, office, head_task) -> None:
    mine = api.inbox(office.clerk.id, filters=api.InboxFilters(box="done")).items[0]
    client = logged_in(client, "clerk1")
    html = client.get(f"/workbench/tasks/{mine.id}").get_data(as_text=True)
    assert "已办理完毕" in html and f"/workbench/tasks/{mine.id}/withdraw" in html
    response = _post(client, mine, "withdraw", {})
    again = open_task_of(office.clerk.id)
    assert response.headers["Location"].endswith(f"/workbench/tasks/{again.id}")
    assert again.task_spec == "apply"
    assert api.inbox(office.head.id).total == 0
