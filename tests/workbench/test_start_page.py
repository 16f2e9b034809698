"""发起流程: the list of deployed processes and starting one."""

from __future__ import annotations

from engine import api
from tests.auth.helpers import csrf_token
from tests.workbench.helpers import logged_in


def test_start_lists_processes_and_opens_first_task(client, office) -> None:
    client = logged_in(client, "clerk1")
    html = client.get("/workbench/start").get_data(as_text=True)
    assert "请假申请" in html and 'action="/workbench/start/qingjia"' in html
    token = csrf_token(client, "/workbench/start")
    response = client.post("/workbench/start/qingjia", data={"csrf_token": token})
    task = api.inbox(office.clerk.id).items[0]
    assert response.headers["Location"].endswith(f"/workbench/tasks/{task.id}")
    assert api.get_instance(task.instance_id).starter_id == office.clerk.id


def test_unknown_process_is_404(client, office) -> None:
    client = logged_in(client, "clerk1")
    token = csrf_token(client, "/workbench/start")
    assert client.post("/workbench/start/nope", data={"csrf_token": token}).status_code == 404
