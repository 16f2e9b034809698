"""发起流程: the list of deployed processes and starting one."""

from __future__ import annotations

from pathlib import Path

from engine import api
from engine.definitions import repository
from services.db import db
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


def test_message_started_process_is_not_offered_nor_startable(client, office) -> None:
    """收文 starts when a document arrives: not on the 发起流程 page, refused by page and API."""
    root = Path(__file__).resolve().parents[2]
    files = {p.name: p.read_bytes() for p in (root / "processes").glob("*.bpmn")}
    files.update({p.name: p.read_bytes() for p in (root / "bpmn-models").iterdir()
                  if p.suffix in (".bpmn", ".dmn")})  # fmt: skip
    repository.deploy(files, deployed_by=None, comment="start page")
    db.session.commit()
    client = logged_in(client, "clerk1")
    html = client.get("/workbench/start").get_data(as_text=True)
    assert 'action="/workbench/start/fawen"' in html
    assert "/workbench/start/shouwen" not in html and "/workbench/start/gongwen_guidang" not in html
    token = csrf_token(client, "/workbench/start")
    refused = client.post("/workbench/start/shouwen", data={"csrf_token": token})
    assert refused.status_code == 403
    assert "不能手工发起" in refused.get_data(as_text=True)
    assert api.started_instances(office.clerk.id).items == []
