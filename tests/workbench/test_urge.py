"""催办 through the pages: the starter urges the next holder from the instance page, once an
hour; the holder and strangers cannot."""

from __future__ import annotations

from engine import api
from services.db import db
from services.notify.inapp import latest
from tests.auth.helpers import csrf_token
from tests.workbench.helpers import APPLY, logged_in, open_task_of, start_qingjia


def _at_head(office) -> api.TaskView:
    task = start_qingjia(office.clerk.id)
    api.complete_task(task.id, actor_id=office.clerk.id, data={**APPLY, "days": 2})
    db.session.commit()
    return open_task_of(office.head.id)


def _urge(client, task: api.TaskView, message: str = ""):
    token = csrf_token(client, "/workbench/")
    path = f"/workbench/tasks/{task.id}/urge"
    return client.post(path, data={"message": message, "csrf_token": token})


def test_starter_sees_and_uses_the_urge_button(client, office) -> None:
    task = _at_head(office)
    client = logged_in(client, "clerk1")
    html = client.get(f"/workbench/instances/{task.instance_id}").get_data(as_text=True)
    assert f'action="/workbench/tasks/{task.id}/urge"' in html
    response = _urge(client, task, "请今天审批")
    assert response.status_code == 302
    [note] = latest(office.head.id)
    assert note.title.startswith("催办：") and note.body == "请今天审批"
    assert note.link == f"/workbench/tasks/{task.id}"
    assert api.history(task.instance_id)[-1].kind == "task_urged"


def test_second_urge_within_the_hour_is_refused_in_chinese(client, office) -> None:
    task = _at_head(office)
    client = logged_in(client, "clerk1")
    _urge(client, task)
    response = _urge(client, task)
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "一小时内已催办过" in page
    assert len(latest(office.head.id)) == 1


def test_holder_has_no_urge_button(client, office) -> None:
    task = _at_head(office)
    client = logged_in(client, "head1")
    html = client.get(f"/workbench/tasks/{task.id}").get_data(as_text=True)
    assert "/urge" not in html
    assert _urge(client, task).status_code == 403


def test_outsider_cannot_urge_by_guessing_ids(client, office) -> None:
    task = _at_head(office)
    client = logged_in(client, "outsider1")
    assert _urge(client, task).status_code == 403
    assert _urge(client, api.TaskView(**{**task.__dict__, "id": task.id + 500})).status_code == 403
    assert latest(office.head.id) == []
