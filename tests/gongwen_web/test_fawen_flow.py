"""The pages on a document made by the real 发文 process: where it waits, who may see and edit."""

from __future__ import annotations

import re

import pytest

from services.db import db
from services.gongwen import documents, versions
from tests.auth.helpers import csrf_token, login
from tests.gongwen.fawen_helpers import PASSWORD, City, act, draft_data, load_city, start


@pytest.fixture
def city(app) -> City:
    return load_city()


def as_user(client, username: str):
    response = login(client, username, PASSWORD)
    assert response.status_code == 302
    return client


def test_drafted_document_waits_at_department_review(client, city):
    instance_id = start(city)
    act(instance_id, city.user("clerk"), draft_data(city), "拟稿")
    document = documents.document_for_instance(instance_id)
    assert document is not None
    depthead = city.user("depthead")

    as_user(client, "clerk")
    page = client.get("/gongwen/outgoing").get_data(as_text=True)
    assert re.findall(r'data-document-id="(\d+)"', page) == [str(document.id)]
    assert 'class="gw-step">部门核稿</td>' in page and depthead.name in page
    # The drafter sees the document but no longer holds it.
    assert client.get(f"/gongwen/{document.id}/body/edit").status_code == 403
    client.post("/logout", data={"csrf_token": csrf_token(client, "/gongwen/outgoing")})

    as_user(client, "depthead")  # holds 部门核稿: may revise the 正文
    edit = f"/gongwen/{document.id}/body/edit"
    assert client.get(edit).status_code == 200
    response = client.post(
        f"/gongwen/{document.id}/body",
        data={"html": "<p>核稿后的正文。</p>", "csrf_token": csrf_token(client, edit)},
    )
    assert response.status_code == 302
    db.session.expire_all()
    latest = versions.latest_version(document.id)
    assert latest is not None and latest.author_id == depthead.id
