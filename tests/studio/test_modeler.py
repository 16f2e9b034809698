"""The modeler's endpoints: opening files, validate, deploy, drafts and the form preview."""

from __future__ import annotations

import json

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from engine.definitions import repository
from services.audit.models import AuditEvent
from services.db import db
from services.org.roles import ANALYST
from services.studio.models import StudioDraft
from tests.auth.helpers import post_form
from tests.studio.helpers import QINGJIA, client_for, post_json, renamed_qingjia

FLOW_WITHOUT_ID = QINGJIA.replace(
    '<bpmn:sequenceFlow id="flow_to_dept" name="提交" ', '<bpmn:sequenceFlow name="提交" '
)


def _embedded_document(page: str) -> dict[str, object]:
    start = page.index('id="studio-data">') + len('id="studio-data">')
    return json.loads(page[start : page.index("</script>", start)])


def test_modeler_page_embeds_the_file_and_our_moddle_extension(analyst: FlaskClient) -> None:
    page = analyst.get("/studio/model?file=processes/qingjia.bpmn").get_data(as_text=True)
    doc = _embedded_document(page)
    assert doc["xml"] == QINGJIA
    assert doc["filename"] == "qingjia.bpmn"
    assert doc["moddle"]["prefix"] == "spiffworkflow"  # type: ignore[index]
    assert "/studio/vendor/bpmn-modeler.production.min.js" in page


@pytest.mark.parametrize("path", ["../setup.cfg", "processes/../setup.cfg", "forms/x.bpmn"])
def test_only_listed_files_open(analyst: FlaskClient, path: str) -> None:
    assert analyst.get(f"/studio/model?file={path}").status_code == 404


def test_index_lists_files_and_forms(analyst: FlaskClient) -> None:
    page = analyst.get("/studio/").get_data(as_text=True)
    assert "processes/qingjia.bpmn" in page
    assert "/studio/forms/qingjia_apply" in page


@pytest.mark.parametrize(
    ("xml", "element_id", "fragment"),
    [
        (FLOW_WITHOUT_ID, "qingjia", "缺少 id"),
        (QINGJIA.replace('isExecutable="true"', ""), "qingjia", "isExecutable"),
        (QINGJIA.replace('value="qingjia_apply"', 'value="no_such_form"'), "apply", "no_such_form"),
    ],
)
def test_validate_reports_problems_per_element(
    analyst: FlaskClient, xml: str, element_id: str, fragment: str
) -> None:
    reply = post_json(analyst, "/studio/validate", {"xml": xml, "filename": "qingjia.bpmn"})
    body = reply.get_json()
    assert reply.status_code == 200 and body["ok"] is False
    hits = [m for m in body["messages"] if fragment in m["message"]]
    assert hits, body["messages"]
    assert hits[0]["element_id"] == element_id and hits[0]["file"] == "qingjia.bpmn"


def test_validate_accepts_qingjia_and_writes_nothing(analyst: FlaskClient) -> None:
    reply = post_json(analyst, "/studio/validate", {"xml": QINGJIA, "filename": "qingjia.bpmn"})
    assert reply.get_json() == {"ok": True, "messages": []}
    assert repository.list_definitions() == []


def test_deploy_creates_a_new_version_after_a_name_change(analyst: FlaskClient) -> None:
    first = post_json(analyst, "/studio/deploy", {"xml": QINGJIA, "filename": "qingjia.bpmn"})
    assert first.status_code == 201
    assert first.get_json()["deployed"][0]["version"] == 1
    body = {"xml": renamed_qingjia(), "filename": "qingjia.bpmn", "comment": "改任务名"}
    second = post_json(analyst, "/studio/deploy", body)
    assert second.status_code == 201
    assert second.get_json()["deployed"] == [
        {"key": "qingjia", "name": "请假申请", "version": 2, "created": True}
    ]
    latest = repository.latest_version("qingjia")
    assert latest.version == 2 and latest.comment == "改任务名"
    assert "填写请假申请" in latest.files["qingjia.bpmn"]
    again = post_json(analyst, "/studio/deploy", body).get_json()["deployed"][0]
    assert (again["version"], again["created"]) == (2, False)
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "process.deploy")
    ).all()
    assert [e.result for e in events] == ["success"] * 3
    assert events[1].username == "analyst" and events[1].object_id == "qingjia"


def test_a_refused_deploy_stores_nothing_but_its_audit(analyst: FlaskClient) -> None:
    body = {"xml": FLOW_WITHOUT_ID, "filename": "qingjia.bpmn"}
    reply = post_json(analyst, "/studio/deploy", body)
    assert reply.status_code == 422
    assert any("缺少 id" in m["message"] for m in reply.get_json()["messages"])
    assert repository.list_definitions() == []
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "process.deploy")
    ).one()
    assert event.result == "failure"


def test_new_diagram_from_the_template_validates(analyst: FlaskClient) -> None:
    reply = post_form(analyst, "/studio/new", {"key": "chuchai", "name": "出差审批"})
    assert reply.status_code == 302
    draft = db.session.scalars(select(StudioDraft)).one()
    assert reply.headers["Location"].endswith(f"/studio/model?draft={draft.id}")
    assert 'id="chuchai" name="出差审批"' in draft.xml
    checked = post_json(analyst, "/studio/validate", {"xml": draft.xml, "filename": "c.bpmn"})
    assert checked.get_json() == {"ok": True, "messages": []}


def test_draft_save_update_and_load(analyst: FlaskClient) -> None:
    body = {"xml": QINGJIA, "filename": "qingjia.bpmn", "name": "请假草稿", "source": "x"}
    created = post_json(analyst, "/studio/drafts", body).get_json()
    body.update(draft_id=created["id"], xml=renamed_qingjia())
    updated = post_json(analyst, "/studio/drafts", body).get_json()
    assert updated["id"] == created["id"]
    page = analyst.get(f"/studio/model?draft={created['id']}").get_data(as_text=True)
    doc = _embedded_document(page)
    assert doc["xml"] == renamed_qingjia() and doc["draftId"] == created["id"]
    assert "请假草稿" in analyst.get("/studio/").get_data(as_text=True)


@pytest.mark.parametrize(
    ("change", "field"),
    [({"filename": "../evil.bpmn"}, "filename"), ({"name": " "}, "name"), ({"xml": ""}, "xml")],
)
def test_draft_input_is_checked(analyst: FlaskClient, change: dict[str, str], field: str) -> None:
    body = {"xml": QINGJIA, "filename": "qingjia.bpmn", "name": "草稿", **change}
    reply = post_json(analyst, "/studio/drafts", body)
    assert reply.status_code == 422
    assert field in reply.get_json()["error"]["errors"]
    assert db.session.scalars(select(StudioDraft)).all() == []


def test_drafts_are_private_to_their_owner(app: Flask, analyst: FlaskClient) -> None:
    body = {"xml": QINGJIA, "filename": "qingjia.bpmn", "name": "私人草稿甲"}
    draft_id = post_json(analyst, "/studio/drafts", body).get_json()["id"]
    other = client_for(app, "analyst2", (ANALYST,))
    missing = other.get("/studio/model?draft=999999")
    guessed = other.get(f"/studio/model?draft={draft_id}")
    assert guessed.status_code == missing.status_code == 404
    assert "私人草稿甲" not in guessed.get_data(as_text=True)
    overwrite = post_json(other, "/studio/drafts", {**body, "draft_id": draft_id, "xml": "<x/>"})
    assert overwrite.status_code == 404
    assert db.session.get(StudioDraft, draft_id).xml == QINGJIA  # type: ignore[union-attr]
    assert "私人草稿甲" not in other.get("/studio/").get_data(as_text=True)


def test_form_preview_renders_the_edited_json(analyst: FlaskClient) -> None:
    form = {
        "title": "出差申请",
        "schema": {
            "type": "object",
            "properties": {"destination": {"type": "string", "title": "目的地"}},
        },
    }
    reply = post_json(analyst, "/studio/forms/preview", {"text": json.dumps(form)}).get_json()
    assert reply["ok"] is True
    assert "目的地" in reply["html"] and 'name="destination"' in reply["html"]


@pytest.mark.parametrize(
    ("text", "fragment"),
    [("{", "不是合法的 JSON"), ('{"schema": {"type": "array"}}', "object"), ("[]", "schema")],
)
def test_form_preview_explains_broken_json(analyst: FlaskClient, text: str, fragment: str) -> None:
    reply = post_json(analyst, "/studio/forms/preview", {"text": text}).get_json()
    assert reply["ok"] is False and fragment in reply["message"]


def test_form_editor_refuses_path_keys(analyst: FlaskClient) -> None:
    assert analyst.get("/studio/forms/qingjia_apply").status_code == 200
    assert analyst.get("/studio/forms/..%2Fsetup").status_code in (404, 422)
    assert analyst.get("/studio/forms/no_such_form").status_code == 404


def test_deployed_versions_open_in_the_modeler(analyst: FlaskClient) -> None:
    post_json(analyst, "/studio/deploy", {"xml": QINGJIA, "filename": "qingjia.bpmn"})
    post_json(analyst, "/studio/deploy", {"xml": renamed_qingjia(), "filename": "qingjia.bpmn"})
    assert "打开最新版本" in analyst.get("/studio/").get_data(as_text=True)
    latest = analyst.get("/studio/latest/qingjia")
    v2 = repository.latest_version("qingjia")
    assert latest.headers["Location"] == f"/studio/model?version={v2.id}"
    doc = _embedded_document(analyst.get(latest.headers["Location"]).get_data(as_text=True))
    assert doc["xml"] == renamed_qingjia() and doc["source"] == "qingjia v2"
    assert analyst.get(f"/studio/model?version={v2.id}&file=other.bpmn").status_code == 404
    assert analyst.get("/studio/latest/nothing").status_code == 404
