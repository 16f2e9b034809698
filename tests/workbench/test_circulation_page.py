"""传阅 through the pages: circulate from the task page, 待阅 tab with counts, batch 阅知,
read receipts on the instance page, recall, and who may open what."""

from __future__ import annotations

import pytest

from engine import api
from services.db import db
from tests.auth.helpers import csrf_token
from tests.workbench.helpers import APPLY, logged_in, open_task_of, start_qingjia


def _post(client, path: str, data: dict) -> object:
    token = csrf_token(client, "/workbench/")
    return client.post(path, data={**data, "csrf_token": token})


def _circulated(office, *readers, note: str = "请阅") -> api.InstanceView:
    task = start_qingjia(office.clerk.id)
    api.circulate(
        task.instance_id, sender_id=office.clerk.id, user_ids=[r.id for r in readers], note=note
    )
    db.session.commit()
    return api.get_instance(task.instance_id)


def test_holder_circulates_from_the_task_page(client, office) -> None:
    task = start_qingjia(office.clerk.id)
    client = logged_in(client, "clerk1")
    html = client.get(f"/workbench/tasks/{task.id}").get_data(as_text=True)
    assert f'action="/workbench/instances/{task.instance_id}/circulate"' in html
    data = {
        "user_ids": [str(office.head.id)],
        "usernames": "colleague1",
        "note": "请两位阅知",
        "task_id": str(task.id),
        "next": f"/workbench/tasks/{task.id}",
    }
    response = _post(client, f"/workbench/instances/{task.instance_id}/circulate", data)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/workbench/tasks/{task.id}")
    readers = {r.reader_id for r in api.reading_list(task.instance_id)}
    assert readers == {office.head.id, office.colleague.id}
    # The form is still there: the process did not wait for the readers.
    assert open_task_of(office.clerk.id).id == task.id


def test_circulating_nobody_comes_back_with_a_message(client, office) -> None:
    task = start_qingjia(office.clerk.id)
    client = logged_in(client, "clerk1")
    response = _post(client, f"/workbench/instances/{task.instance_id}/circulate", {"note": "x"})
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "请选择传阅对象" in page


def test_toread_tab_lists_unread_items_with_count(client, office) -> None:
    instance = _circulated(office, office.colleague)
    html = logged_in(client, "colleague1").get("/workbench/?tab=toread").get_data(as_text=True)
    assert instance.title in html and "张科员" in html and "请阅" in html
    assert 'data-tab="toread">待阅<span class="wb-count">1</span>' in html
    assert "批量阅知" in html


def test_batch_read_marks_several_items_in_one_post(client, office) -> None:
    first, second = _circulated(office, office.colleague), _circulated(office, office.colleague)
    client = logged_in(client, "colleague1")
    ids = [str(item.id) for item in api.toread(office.colleague.id).items]
    response = _post(client, "/workbench/readings/read", {"ids": ids, "comment": "已阅"})
    assert response.status_code == 302
    assert api.toread_count(office.colleague.id) == 0
    for instance in (first, second):
        [reading] = api.reading_list(instance.id)
        assert reading.status == "read" and reading.comment == "已阅"
    html = client.get("/workbench/?tab=toread&state=read").get_data(as_text=True)
    assert first.title in html


def test_reader_opens_the_instance_read_only_and_reads_it(client, office) -> None:
    instance = _circulated(office, office.colleague)
    client = logged_in(client, "colleague1")
    html = client.get(f"/workbench/instances/{instance.id}").get_data(as_text=True)
    assert "阅知意见" in html and "传阅情况" in html
    assert f"/workbench/instances/{instance.id}/circulate" not in html  # readers do not pass it on
    [item] = api.toread(office.colleague.id).items
    response = _post(
        client,
        "/workbench/readings/read",
        {"ids": str(item.id), "comment": "收到", "next": f"/workbench/instances/{instance.id}"},
    )
    assert response.headers["Location"].endswith(f"/workbench/instances/{instance.id}")


def test_everyone_in_the_instance_sees_who_has_read(client, office) -> None:
    instance = _circulated(office, office.colleague, office.head)
    [item] = api.toread(office.colleague.id).items
    api.read_item([item.id], reader_id=office.colleague.id, comment="同意")
    db.session.commit()
    html = logged_in(client, "clerk1").get(f"/workbench/instances/{instance.id}")
    text = html.get_data(as_text=True)
    assert 'data-reader="赵科员"' in text and "已阅" in text and "同意" in text
    assert 'data-reader="李科长"' in text and "未阅" in text
    assert "阅知" in text  # the timeline shows the read event


def test_sender_recalls_unread_item(client, office) -> None:
    instance = _circulated(office, office.colleague)
    [reading] = api.reading_list(instance.id)
    client = logged_in(client, "clerk1")
    path = f"/workbench/circulations/{reading.circulation_id}/recall"
    response = _post(client, path, {"item_ids": str(reading.id)})
    assert response.status_code == 302
    assert api.reading_list(instance.id)[0].status == "recalled"
    # Recalled: the reader no longer sees it.
    _post(client, "/logout", {})
    other = logged_in(client, "colleague1")
    assert other.get(f"/workbench/instances/{instance.id}").status_code == 403


def test_outsider_of_another_unit_gets_403(client, office) -> None:
    instance = _circulated(office, office.colleague)
    [reading] = api.reading_list(instance.id)
    client = logged_in(client, "outsider1")
    assert client.get(f"/workbench/instances/{instance.id}").status_code == 403
    assert _post(client, "/workbench/readings/read", {"ids": str(reading.id)}).status_code == 403
    recall = f"/workbench/circulations/{reading.circulation_id}/recall"
    assert _post(client, recall, {}).status_code == 403
    circulate = f"/workbench/instances/{instance.id}/circulate"
    assert _post(client, circulate, {"user_ids": str(office.outsider.id)}).status_code == 403
    assert api.reading_list(instance.id)[0].status == "unread"


@pytest.mark.parametrize("ids", ["abc", "99999999999"])
def test_malformed_ids_are_refused_politely(client, office, ids) -> None:
    client = logged_in(client, "colleague1")
    response = _post(client, "/workbench/readings/read", {"ids": ids})
    assert response.status_code == 302
    assert "选择的对象有误" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_timeline_labels_circulation_in_chinese(client, office) -> None:
    instance = _circulated(office, office.colleague)
    task = open_task_of(office.clerk.id)
    api.complete_task(task.id, actor_id=office.clerk.id, data={**APPLY, "days": 2})
    db.session.commit()
    html = logged_in(client, "clerk1").get(f"/workbench/instances/{instance.id}")
    assert "· 传阅" in html.get_data(as_text=True)
