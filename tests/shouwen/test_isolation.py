"""Permission acceptance of 收文: a user of unit B (市财政局: its 收发员, 办公室主任 and leader)
cannot see unit C's (市人社局) 收文 by any page or API, by guessing ids or by searching.

The routes come from ``app.url_map``: every route taking an object id (record, document,
instance, task, file, circulation, version, event, timer ...) is called with C's ids and must
answer 403/404 without C's title, 来文文号 or opinions in the body; every page without such an
argument (lists, queries, registers, statistics, analysis, monitor, exports) is called plain and
with search parameters and must not contain them either. A route that takes an argument this
module does not know fails the test until it is added here, so new routes are covered.
"""

from __future__ import annotations

import io
import itertools
import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import docx
import openpyxl
import pytest
from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader
from sqlalchemy import select
from werkzeug.routing import Rule
from werkzeug.test import TestResponse

from engine import api
from engine.runtime.circulation_models import Circulation
from engine.runtime.models import HumanTask
from engine.runtime.wait_models import EngineTimer
from services.db import db
from services.files.models import StoredFile
from services.gongwen.exchange_models import IncomingRecord
from services.gongwen.models import BodyVersion, DocumentFile
from services.org.models import Unit, User
from tests.auth.helpers import csrf_token, login
from tests.gongwen.fawen_helpers import PASSWORD, City
from tests.shouwen.helpers import (
    departments,
    do,
    head,
    issue_to,
    leader,
    office_director,
    record_of,
    registrar,
    send,
)
from tests.shouwen.test_process import register_form

C_TITLE = "江城市教育局关于人社系统专项核查工作的通知"
C_NUMBER = "江教发〔2025〕77号"
C_PROPOSAL = "建议由人社局劳动监察科牵头核查"
C_INSTRUCTION = "同意，请人社局各科室于月底前报送核查结果"
SECRETS = (C_TITLE, C_NUMBER, C_PROPOSAL, C_INSTRUCTION)
B_TITLE = "江城市教育局关于财政系统经费保障工作的通知"

PREFIXES = ("/shouwen", "/gongwen", "/api/v1", "/workbench", "/files", "/audit", "/admin")
# Arguments naming an object; each is filled with unit C's ids (see ``c_ids``).
OBJECT_ARGS = {
    "record_id", "document_id", "instance_id", "task_id", "file_id", "circulation_id",
    "version_id", "seq", "timer_id", "incident_id", "delegation_id", "row_id", "reference",
}  # fmt: skip
# Routes of outside systems, signed per request: without the signature they answer 401.
SIGNED_ROUTES = ("/api/v1/intake/",)
# Arguments that are not objects, with the value each route is called with.
PLAIN_ARGS = {"key": "shouwen", "action": "terminate", "operation": "terminate", "fmt": "xlsx"}
# Routes with an argument that is neither, and why they are no 收文 object route.
NOT_OBJECT_ROUTES = {
    "/files/signatures/<token>": "a signature image by its unguessable token",
    "/workbench/vendor/bpmn-js/<path:path>": "static library files",
    "/workbench/vendor/echarts/<path:path>": "static library files",
    "/studio/vendor/<path:name>": "static library files",
    "/static/<path:filename>": "static files",
}
# Pages without arguments that hold no documents, or that log the user out.
NOT_LISTS = {"/login", "/setup", "/logout", "/api/v1/openapi.json", "/password"}
SEARCH = {
    "q": "专项核查", "keyword": "专项核查", "title": "人社", "from_unit": "江城市教育局",
    "doc_number": "77", "receipt_number": "收", "year": "2025", "from": "2025-01-01",
    "to": "2026-12-31", "received_from": "2025-01-01", "received_to": "2026-12-31",
    "group": "person", "direction": "in", "unit_id": "{unit}", "scope": "all",
}  # fmt: skip


@dataclass
class Scene:
    """Unit B's people and what unit C holds: its 收文 in 承办 with a 传阅 out."""

    b_people: dict[str, User]
    c_registrar: User
    c_record_id: int
    c_ids: dict[str, list[Any]]
    c_unit: Unit


def _handle_up_to_host(unit: Unit, instance_id: int, proposal: str, instruction: str) -> None:
    director = office_director(unit)
    do(instance_id, director, "初审", {"review_accept": True})
    do(instance_id, director, "拟办", {"proposal": proposal})
    host, *others = departments(unit)
    form = {
        "instruction": instruction,
        "host_department": host.id,
        "co_departments": [others[0].id],
        "readers": [registrar(unit).id, head(others[0]).id],
        "circulate_note": "请阅知",
    }
    do(instance_id, leader(unit), "领导批示", form)


def _ids(model: Any, *where: Any) -> list[int]:
    return list(db.session.scalars(select(model.id).where(*where).order_by(model.id)))


def _c_ids(record: IncomingRecord) -> dict[str, list[Any]]:
    tasks = list(
        db.session.scalars(select(HumanTask).where(HumanTask.instance_id == record.instance_id))
    )
    found = {
        "record_id": [record.id],
        "document_id": [record.document_id],
        "instance_id": [record.instance_id],
        "task_id": [
            next(t.id for t in tasks if t.active),
            next(t.id for t in tasks if not t.active),
        ],
        "file_id": _ids(DocumentFile, DocumentFile.document_id == record.document_id)
        + _ids(StoredFile, StoredFile.instance_id == record.instance_id),
        "circulation_id": _ids(Circulation, Circulation.instance_id == record.instance_id),
        "version_id": _ids(BodyVersion, BodyVersion.document_id == record.document_id),
        "timer_id": _ids(EngineTimer, EngineTimer.instance_id == record.instance_id),
        "seq": [1, 5],
        "reference": [C_NUMBER, record.receipt_number],
    }
    assert found["file_id"] and found["circulation_id"], found
    return {name: found.get(name) or [999_999] for name in OBJECT_ARGS}


@pytest.fixture
def scene(city: City) -> Scene:
    b_unit, c_unit = city.units["czj"], city.units["rsj"]
    theirs = issue_to(city, ["rsj"], title=C_TITLE)
    theirs.document.doc_number = C_NUMBER
    send(city, theirs)
    send(city, issue_to(city, ["czj"], title=B_TITLE))
    api.deliver_messages(worker_id="w1")
    for unit, title, number in (
        (c_unit, C_TITLE, C_NUMBER),
        (b_unit, B_TITLE, "江教发〔2025〕9号"),
    ):
        record = record_of(unit)
        do(record.instance_id, registrar(unit), "签收", {"sign_action": "签收"})
        form = register_form(title=title, from_doc_number=number)
        do(record.instance_id, registrar(unit), "登记", form)
    _handle_up_to_host(c_unit, record_of(c_unit).instance_id, C_PROPOSAL, C_INSTRUCTION)
    _handle_up_to_host(b_unit, record_of(b_unit).instance_id, "财政局拟办", "财政局批示")
    c_record = record_of(c_unit)
    people = {
        "registrar": registrar(b_unit),
        "director": office_director(b_unit),
        "leader": leader(b_unit),
    }
    return Scene(people, registrar(c_unit), c_record.id, _c_ids(c_record), c_unit)


# ---------------------------------------------------------------- the routes


def _prefixed(rule: Rule) -> bool:
    return rule.rule.startswith(PREFIXES)


def object_rules(app: Flask) -> list[Rule]:
    """Routes under the prefixes that take an object id; unknown arguments fail here."""
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.arguments or rule.rule in NOT_OBJECT_ROUTES:
            continue
        unknown = set(rule.arguments) - OBJECT_ARGS - set(PLAIN_ARGS)
        assert not unknown, f"{rule.rule}: add {unknown} to OBJECT_ARGS, PLAIN_ARGS or the list"
        if _prefixed(rule) and set(rule.arguments) & OBJECT_ARGS:
            found.append(rule)
    return sorted(found, key=lambda r: r.rule)


def list_rules(app: Flask) -> list[Rule]:
    """Every GET page without an object argument (lists, queries, registers, exports ...)."""
    found = []
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or ()) or rule.rule in NOT_LISTS | set(NOT_OBJECT_ROUTES):
            continue
        if set(rule.arguments) - {"fmt"}:
            continue
        found.append(rule)
    return sorted(found, key=lambda r: r.rule)


def urls(rule: Rule, ids: dict[str, list[Any]]) -> Iterator[str]:
    names = sorted(rule.arguments)
    choices = [ids[n] if n in OBJECT_ARGS else _plain(rule, n) for n in names]
    for values in itertools.product(*choices):
        yield rule.build(dict(zip(names, values, strict=True)), append_unknown=False)[1]


def _plain(rule: Rule, name: str) -> list[Any]:
    if name == "fmt":
        return ["csv", "xlsx"]
    return [PLAIN_ARGS[name]]


# ---------------------------------------------------------------- reading responses


def body_text(response: TestResponse) -> str:
    """Everything a person could read in the response: HTML/JSON/CSV text, the XML of an
    .xlsx/.docx, the text of a PDF."""
    data = response.get_data()
    if data.startswith(b"PK"):
        return _office_text(data)
    if data.startswith(b"%PDF"):
        reader = PdfReader(io.BytesIO(data))
        return "".join("".join((p.extract_text() or "").split()) for p in reader.pages)
    text = data.decode("utf-8-sig", "ignore")
    if response.is_json:
        return json.dumps(response.get_json(silent=True), ensure_ascii=False) + text
    return text


def _office_text(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
    if "xl/workbook.xml" in names:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
        cells = (c for sheet in book for row in sheet.iter_rows(values_only=True) for c in row)
        return "\n".join(str(c) for c in cells if c is not None)
    document = docx.Document(io.BytesIO(data))
    parts = [p.text for p in document.paragraphs]
    parts += [c.text for t in document.tables for row in t.rows for c in row.cells]
    return "\n".join(parts)


def leaked(response: TestResponse) -> list[str]:
    text = body_text(response)
    return [secret for secret in SECRETS if secret in text]


class Caller:
    """One logged-in B user: pages with the session, /api/v1 with a bearer token."""

    def __init__(self, client: FlaskClient, user: User) -> None:
        assert login(client, user.username, PASSWORD).status_code == 302
        self.client = client
        self.csrf = csrf_token(client, "/workbench/")
        token = client.post(
            "/api/v1/auth/token", json={"username": user.username, "password": PASSWORD}
        )
        assert token.status_code == 200, token.get_json()
        self.headers = {"Authorization": f"Bearer {token.get_json()['access_token']}"}

    def call(self, method: str, url: str) -> TestResponse:
        if url.startswith("/api/v1"):
            body = {"json": {}} if method == "POST" else {}
            return self.client.open(url, method=method, headers=self.headers, **body)
        data = {"csrf_token": self.csrf} if method == "POST" else None
        return self.client.open(url, method=method, data=data)


def _refusals(url: str) -> tuple[int, ...]:
    return (401, 403, 404) if url.startswith(SIGNED_ROUTES) else (403, 404)


def _c_state(scene: Scene) -> tuple[object, ...]:
    db.session.expire_all()
    record = db.session.get(IncomingRecord, scene.c_record_id)
    assert record is not None and record.instance_id is not None
    instance = api.get_instance(record.instance_id)
    tasks = api.open_tasks_for([record.instance_id]).get(record.instance_id, [])
    return record.status, instance.status, sorted((t.name, t.assignee_id) for t in tasks)


# ---------------------------------------------------------------- the tests


def test_the_route_lists_cover_the_shouwen_routes(app: Flask) -> None:
    rules = {r.rule for r in object_rules(app)}
    for expected in ("/shouwen/<int:record_id>", "/shouwen/<int:record_id>/sign"):
        assert expected in rules
    assert any(r.startswith("/api/v1/tasks/") for r in rules)
    lists = {r.rule for r in list_rules(app)}
    assert {"/shouwen/query", "/shouwen/register.xlsx", "/gongwen/monitor"} <= lists


def test_unit_c_sees_its_own_shouwen_so_the_checks_can_fail(client, scene) -> None:
    caller = Caller(client, scene.c_registrar)
    for url in (
        "/shouwen/query?q=专项核查",
        "/shouwen/register.xlsx",
        f"/shouwen/{scene.c_record_id}",
    ):
        response = caller.call("GET", url)
        assert response.status_code == 200 and C_TITLE in body_text(response), url
    page = caller.call("GET", f"/shouwen/{scene.c_record_id}")
    assert C_NUMBER in body_text(page)


@pytest.mark.parametrize("who", ["registrar", "director", "leader"])
def test_b_reaches_none_of_cs_objects_by_id(app, client, scene, who) -> None:
    before = _c_state(scene)
    caller = Caller(client, scene.b_people[who])
    answered: list[tuple[str, str, int, list[str]]] = []
    for rule in object_rules(app):
        for method in sorted((rule.methods or set()) & {"GET", "POST"}):
            for url in urls(rule, scene.c_ids):
                response = caller.call(method, url)
                answered.append((method, url, response.status_code, leaked(response)))
    wrong = [a for a in answered if a[2] not in _refusals(a[1]) or a[3]]
    assert not wrong, wrong
    assert len(answered) > 60
    assert _c_state(scene) == before


@pytest.mark.parametrize("who", ["registrar", "director", "leader"])
def test_b_finds_none_of_cs_titles_in_any_list_search_or_export(app, client, scene, who) -> None:
    caller = Caller(client, scene.b_people[who])
    search = {k: v.format(unit=scene.c_unit.id) for k, v in SEARCH.items()}
    leaks, seen_b = [], 0
    for rule in list_rules(app):
        for url in urls(rule, {}):
            for query in ({}, search, {**search, "status": "已签收"}):
                response = caller.client.open(
                    url,
                    query_string=query,
                    headers=caller.headers if url.startswith("/api") else {},
                )
                if found := leaked(response):
                    leaks.append((url, query, response.status_code, found))
                seen_b += B_TITLE in body_text(response)
    assert not leaks, leaks
    assert seen_b > 0  # B's own 收文 shows up, so the pages did list something
