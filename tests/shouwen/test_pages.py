"""收文箱 pages: 签收 and 退文 from the list, the sender's status table, and what another unit's
people cannot reach by page, API or guessed ids."""

from __future__ import annotations

from datetime import date

import pytest
from flask.testing import FlaskClient

from engine import api
from services.db import db
from services.org import directory
from services.org.models import User
from tests.auth.helpers import csrf_token, login
from tests.gongwen.fawen_helpers import PASSWORD
from tests.shouwen.helpers import do, issue_to, record_of, registrar, send
from web.shouwen.register import registration_defaults


@pytest.fixture
def delivered(city):
    issued = issue_to(city, ["czj", "rsj"])
    send(city, issued)
    api.deliver_messages(worker_id="w1")
    return issued


def as_user(client: FlaskClient, user: User) -> FlaskClient:
    response = login(client, user.username, PASSWORD)
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return client


def post(client: FlaskClient, path: str, **data: str):
    return client.post(path, data={**data, "csrf_token": csrf_token(client, "/shouwen/")})


def test_registrar_signs_from_the_inbox_and_the_sender_sees_it(client, city, delivered) -> None:
    czj = city.units["czj"]
    clerk = registrar(czj)
    record = record_of(czj)
    page = as_user(client, clerk).get("/shouwen/").get_data(as_text=True)
    assert record.document.title in page and "已送达" in page
    assert f"/shouwen/{record.id}/sign" in page
    response = post(client, f"/shouwen/{record.id}/sign")
    assert response.status_code == 302
    db.session.expire_all()
    assert record_of(czj).status == "已签收"
    assert "已签收" in client.get("/shouwen/?status=已签收").get_data(as_text=True)

    client.post("/logout", data={"csrf_token": csrf_token(client, "/shouwen/")})
    sender_page = as_user(client, city.user("clerk")).get(f"/gongwen/{delivered.document.id}")
    text = sender_page.get_data(as_text=True)
    assert sender_page.status_code == 200 and "分发与签收情况" in text
    assert clerk.name in text and "已签收" in text


def test_return_needs_a_reason_and_reaches_the_sender(client, city, delivered) -> None:
    rsj = city.units["rsj"]
    record = record_of(rsj)
    as_user(client, registrar(rsj))
    response = post(client, f"/shouwen/{record.id}/return", reason="  ")
    assert response.status_code == 302
    db.session.expire_all()
    assert record_of(rsj).status == "已送达"
    reason = "不属于本局职责范围"
    post(client, f"/shouwen/{record.id}/return", reason=reason)
    db.session.expire_all()
    assert (record_of(rsj).status, record_of(rsj).return_reason) == ("已退文", reason)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/shouwen/")})
    text = (
        as_user(client, city.user("clerk"))
        .get(f"/gongwen/{delivered.document.id}")
        .get_data(as_text=True)
    )
    assert reason in text and "已退文" in text


def test_another_units_people_reach_nothing(client, city, delivered) -> None:
    czj, rsj = city.units["czj"], city.units["rsj"]
    theirs = record_of(rsj)
    file_id = db.session.execute(
        db.text("select id from gongwen_document_file where document_id = :d"),
        {"d": theirs.document_id},
    ).scalar_one()
    as_user(client, registrar(czj))
    paths = [
        f"/shouwen/{theirs.id}",
        f"/shouwen/{theirs.id}.json",
        f"/shouwen/{theirs.id}/files/{file_id}",
        "/shouwen/999999",
        f"/shouwen/{theirs.id}/register",
        f"/workbench/instances/{theirs.instance_id}",
    ]
    for path in paths:
        assert client.get(path).status_code in (403, 404), path
    assert client.get(f"/gongwen/{theirs.document_id}").status_code in (403, 404)
    assert post(client, f"/shouwen/{theirs.id}/sign").status_code == 403
    assert post(client, f"/shouwen/{theirs.id}/return", reason="x").status_code == 403
    inbox = client.get("/shouwen/").get_data(as_text=True)
    assert f'href="/shouwen/{record_of(czj).id}"' in inbox
    assert f'href="/shouwen/{theirs.id}"' not in inbox
    db.session.expire_all()
    assert record_of(rsj).status == "已送达"


def test_the_api_refuses_another_units_shouwen(client, city, delivered) -> None:
    theirs = record_of(city.units["rsj"])
    username = registrar(city.units["czj"]).username
    token = client.post("/api/v1/auth/token", json={"username": username, "password": PASSWORD})
    assert token.status_code == 200, token.get_json()
    headers = {"Authorization": f"Bearer {token.get_json()['access_token']}"}
    base = f"/api/v1/process-instances/{theirs.instance_id}"
    for path in (base, f"{base}/events", f"{base}/readings"):
        assert client.get(path, headers=headers).status_code in (403, 404), path
    (task,) = api.open_tasks_for([theirs.instance_id])[theirs.instance_id]
    assert client.get(f"/api/v1/tasks/{task.id}", headers=headers).status_code in (403, 404)
    done = client.post(
        f"/api/v1/tasks/{task.id}/complete", headers=headers, json={"data": {"sign_action": "签收"}}
    )
    assert done.status_code in (403, 404)
    db.session.expire_all()
    assert record_of(city.units["rsj"]).status == "已送达"


def test_the_sender_does_not_see_the_recipients_handling(client, city, delivered) -> None:
    theirs = record_of(city.units["czj"])
    as_user(client, city.user("clerk"))
    assert client.get(f"/workbench/instances/{theirs.instance_id}").status_code == 403
    assert client.get(f"/shouwen/{theirs.id}").status_code == 403


def test_people_without_the_inbox_are_refused(client, city, delivered) -> None:
    czj = city.units["czj"]
    head = directory.department_head(
        next(d for d in directory.departments_of(czj.id) if not d.is_office).id
    )
    assert head is not None
    as_user(client, head)
    assert client.get("/shouwen/").status_code == 403
    assert client.get(f"/shouwen/{record_of(czj).id}").status_code == 403


def test_overdue_shows_in_the_inbox(client, city, delivered) -> None:
    czj = city.units["czj"]
    record = record_of(czj)
    record.deadline = date(2020, 1, 1)
    db.session.commit()
    page = as_user(client, registrar(czj)).get("/shouwen/").get_data(as_text=True)
    assert "逾期" in page and "2020-01-01" in page


def test_register_page_is_prefilled_and_registers(client, city, delivered) -> None:
    czj = city.units["czj"]
    record = record_of(czj)
    do(record.instance_id, registrar(czj), "签收", {"sign_action": "签收"})
    as_user(client, registrar(czj))
    assert f"/shouwen/{record.id}/register" in client.get("/shouwen/").get_data(as_text=True)
    page = client.get(f"/shouwen/{record.id}/register")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert city.unit.name in text and "江教发〔2025〕9号" in text and record.document.title in text
    defaults = registration_defaults(record)
    form = {k: str(v) for k, v in defaults.items() if k != "need_reply"}
    response = post(client, f"/shouwen/{record.id}/register", **(form | {"category": "其他"}))
    assert response.status_code == 302, response.get_data(as_text=True)[-800:]
    db.session.expire_all()
    registered = record_of(czj)
    assert registered.category == "其他" and registered.receipt_number is not None
    assert [t.name for t in api.open_tasks_for([record.instance_id])[record.instance_id]] == [
        "初审"
    ]
    # Not the registrar's step any more; another unit's registrar never had it.
    assert client.get(f"/shouwen/{record.id}/register").status_code == 409
