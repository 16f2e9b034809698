"""拟稿 refused by ``gongwen.save`` (a 请示 with two 主送机关 and no 签发人): the process comes
back to the drafter and the task page shows the service's errors next to the fields."""

from __future__ import annotations

import pytest
from werkzeug.datastructures import MultiDict

from engine import api
from services.db import db
from tests.auth.helpers import csrf_token, login
from tests.gongwen.fawen_helpers import PASSWORD, City, act, draft_data, load_city, start, task_for


@pytest.fixture
def city(app) -> City:
    return load_city()


def logged_in(client, username: str):
    assert login(client, username, PASSWORD).status_code == 302
    return client


def _draft_form(city: City, token: str) -> MultiDict:
    form = MultiDict(
        {
            "doc_type": "请示",
            "title": "江城市教育局关于申请校园安全专项经费的请示",
            "secrecy": "非密",
            "urgency": "normal",
            "importance": "重要",
            "copies": "3",
            "disclosure": "主动公开",
            "body_html": "<p>拟申请校园安全专项经费。</p>",
            "csrf_token": token,
        }
    )
    for unit in ("zf", "czj"):
        form.add("main_units", str(city.units[unit].id))
    return form


def test_refused_draft_shows_the_service_errors_at_the_fields(client, city) -> None:
    instance_id = start(city)
    path = f"/workbench/tasks/{task_for(instance_id, city.user('clerk')).id}"
    client = logged_in(client, "clerk")
    response = client.post(path, data=_draft_form(city, csrf_token(client, path)))
    assert response.status_code == 302
    again = task_for(instance_id, city.user("clerk"))
    assert again.name == "拟稿" and response.headers["Location"].endswith(str(again.id))

    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "“拟稿”已提交，但内容未通过校验，请按提示修改后重新提交。" in html
    assert (
        '<p class="field-error" id="f-main_units-error">请示应当一文一事，只能主送一个机关</p>'
        in html
    )
    assert 'id="f-signer_id-error">上行文（请示、报告）签发前必须确定签发人</p>' in html
    assert "提交的内容有 2 处需要修改" in html
    assert 'value="江城市教育局关于申请校园安全专项经费的请示"' in html  # input kept


def test_draft_sent_back_after_a_good_save_shows_no_errors(client, city) -> None:
    instance_id = start(city)
    act(instance_id, city.user("clerk"), draft_data(city), "拟稿")
    depthead = city.user("depthead")
    review = task_for(instance_id, depthead)
    api.send_back(review.id, actor_id=depthead.id, target_task_spec="draft", reason="请修改")
    db.session.commit()
    draft = task_for(instance_id, city.user("clerk"))
    html = logged_in(client, "clerk").get(f"/workbench/tasks/{draft.id}").get_data(as_text=True)
    assert 'class="field-error"' not in html and 'id="form-errors"' not in html
    assert "退回理由：" in html and "请修改" in html


def test_other_forms_ignore_the_draft_result(client, city) -> None:
    instance_id = start(city)
    act(instance_id, city.user("clerk"), draft_data(city), "拟稿")
    review = task_for(instance_id, city.user("depthead"))
    html = logged_in(client, "depthead").get(f"/workbench/tasks/{review.id}").get_data(as_text=True)
    assert 'class="field-error"' not in html and "核稿意见" in html
