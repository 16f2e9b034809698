"""公文办理分析 of each kind, 发文, 收文 and 签报, on a small known run moved by the frozen clock.

For every kind two instances start at T0 (09:00 Beijing, 2025-03-03) and their first three steps
go the same way:

- step 1: A's done after 1 h, B's after 3 h (average 2 h, P90 3 h);
- step 2: A's done after 4 h; B's, 催办 once, still open four days later, past its 办理期限
  (the step's ``due_at``, three working days for a 平件, when it has one);
- step 3: A's open from T0+5 h, also past its 办理期限 on day four.

The figures are checked from the engine, on the page (table and chart data) and in the .xlsx.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import openpyxl
import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from engine import api
from engine.runtime.models import HumanTask
from services.db import db
from services.org.models import User
from tests.auth.helpers import login
from tests.gongwen.fawen_helpers import PASSWORD, City, act, draft_data, load_city, opinion
from tests.gongwen.test_qianbao_process import draft as qianbao_draft
from tests.shouwen.helpers import do, issue_to, office_director, registrar, send
from tests.shouwen.test_process import register_form

HOUR = 3600.0
PERIOD = "from=2025-03-01&to=2025-03-31"
MARCH = (date(2025, 3, 1), date(2025, 3, 31))
CHART = re.compile(r'<script type="application/json" id="analysis-data">(.*?)</script>', re.S)


@dataclass
class Kind:
    """One process kind: its key, the names of its first three steps, how to drive them."""

    key: str
    word: str
    steps: tuple[str, str, str]
    start: Callable[[City], list[int]]  # two instances at T0
    step: Callable[[City, int, int], None]  # do step n (1 or 2) of the instance


def _start_fawen(city: City) -> list[int]:
    clerk = city.user("clerk")
    found = [api.start_instance("fawen", starter_id=clerk.id, data={}).id for _ in range(2)]
    db.session.commit()
    return found


def _fawen_step(city: City, instance_id: int, n: int) -> None:
    if n == 1:
        act(instance_id, city.user("clerk"), draft_data(city), "拟稿")
    else:
        depthead = city.user("depthead")
        act(instance_id, depthead, {"dept_review_opinion": opinion(depthead, "同意")}, "部门核稿")


def _start_qianbao(city: City) -> list[int]:
    clerk = city.user("clerk")
    found = [api.start_instance("qianbao", starter_id=clerk.id, data={}).id for _ in range(2)]
    db.session.commit()
    return found


def _qianbao_step(city: City, instance_id: int, n: int) -> None:
    if n == 1:
        act(instance_id, city.user("clerk"), qianbao_draft(city, huiqian_chosen=[]), "拟稿")
    else:
        depthead = city.user("depthead")
        act(instance_id, depthead, {"dept_review_opinion": opinion(depthead, "同意")}, "部门审核")


def _start_shouwen(city: City) -> list[int]:
    for title in ("江城市教育局关于秋季开学的通知", "江城市教育局关于校园安全的通知"):
        send(city, issue_to(city, ["czj"], title=title))
    api.deliver_messages(worker_id="w1")
    db.session.commit()
    stmt = select(HumanTask.instance_id).where(HumanTask.process_key == "shouwen")
    return sorted(set(db.session.scalars(stmt)))


def _shouwen_step(city: City, instance_id: int, n: int) -> None:
    czj = city.units["czj"]
    if n == 1:
        do(instance_id, registrar(czj), "签收", {"sign_action": "签收"})
    else:
        do(instance_id, registrar(czj), "登记", register_form())


KINDS = {
    "fawen": Kind("fawen", "发文", ("拟稿", "部门核稿", "办公室核稿"), _start_fawen, _fawen_step),
    "shouwen": Kind("shouwen", "收文", ("签收", "登记", "初审"), _start_shouwen, _shouwen_step),
    "qianbao": Kind(
        "qianbao", "签报", ("拟稿", "部门审核", "领导批示"), _start_qianbao, _qianbao_step
    ),
}


def _open_task(instance_id: int, name: str) -> HumanTask:
    stmt = select(HumanTask).where(
        HumanTask.instance_id == instance_id, HumanTask.name == name, HumanTask.active.is_(True)
    )
    return db.session.scalars(stmt.execution_options(populate_existing=True)).one()


def _urger(city: City, kind: Kind) -> User:
    return office_director(city.units["czj"]) if kind.key == "shouwen" else city.user("clerk")


@pytest.fixture
def run(app, frozen_clock) -> City:
    """The three kinds driven as the module docstring says; the clock ends at T0 + 4 days."""
    city = load_city()
    started = {key: kind.start(city) for key, kind in KINDS.items()}
    for hours, who, n in ((1, 0, 1), (2, 1, 1), (2, 0, 2)):  # at T0+1h, +3h, +5h
        frozen_clock.advance(hours=hours)
        for key, kind in KINDS.items():
            kind.step(city, started[key][who], n)
    for key, kind in KINDS.items():
        waiting = _open_task(started[key][1], kind.steps[1])
        api.urge_task(waiting.id, actor_id=_urger(city, kind).id, message="请尽快办理")
    db.session.commit()
    frozen_clock.advance(days=4, hours=-5)
    return city


def _due_rules(key: str) -> tuple[bool, bool]:
    """Whether steps 2 and 3 of the kind carry a ``due_at`` (三个工作日 for a 平件)."""
    rows = db.session.scalars(select(HumanTask).where(HumanTask.process_key == key))
    by_name = {row.name: row.due_at is not None for row in rows}
    steps = KINDS[key].steps
    return by_name[steps[1]], by_name[steps[2]]


def expected(key: str) -> list[tuple[object, ...]]:
    """(node, total, handled, avg h, P90 h, overdue, reminders) of the known run."""
    first, second, third = KINDS[key].steps
    return [
        (first, 2, 2, 2.0, 3.0, 0, 0),
        (second, 2, 1, 4.0, 4.0, 1, 1),  # B's: open past its 办理期限, 催办 once
        (third, 1, 0, None, None, 1, 0),  # A's: open past its 办理期限
    ]


def _figures(stats: list[api.NodeStats], steps: tuple[str, ...]) -> list[tuple[object, ...]]:
    def hours(seconds: float | None) -> float | None:
        return None if seconds is None else seconds / HOUR

    found = [s for s in stats if s.name in steps]
    return [
        (s.name, s.total, s.handled, hours(s.avg_seconds), hours(s.p90_seconds), *_late(s))
        for s in found
    ]


def _late(stats: api.NodeStats) -> tuple[int, int]:
    return stats.overdue, stats.reminders


@pytest.mark.parametrize("key", sorted(KINDS))
def test_each_kind_has_the_known_figures_per_node(run, key) -> None:
    query = api.AnalysisQuery((key,), *MARCH)
    stats = api.task_analysis(query)
    kind = KINDS[key]
    assert sorted(_figures(stats, kind.steps), key=lambda f: kind.steps.index(f[0])) == expected(
        key
    )
    # The steps carry their 办理期限, so the overdue figures come from them.
    assert _due_rules(key) == (True, True)


def test_the_period_excludes_other_months(run) -> None:
    april = api.AnalysisQuery(tuple(KINDS), date(2025, 4, 1), date(2025, 4, 30))
    assert api.task_analysis(april) == []


def test_per_person_and_per_unit(run) -> None:
    city = run
    people = api.AnalysisQuery(("qianbao",), *MARCH, group_by="person")
    by_person = {(s.name, s.user_id): (s.total, s.handled) for s in api.task_analysis(people)}
    clerk, depthead, leader = (city.user(n) for n in ("clerk", "depthead", "leader"))
    assert by_person[("拟稿", clerk.id)] == (2, 2)
    assert by_person[("部门审核", depthead.id)] == (2, 1)
    assert by_person[("领导批示", leader.id)] == (1, 0)
    units = api.AnalysisQuery(tuple(KINDS), *MARCH, group_by="unit")
    seen = {(s.process_key, s.unit_id) for s in api.task_analysis(units)}
    assert ("shouwen", city.units["czj"].id) in seen and ("fawen", city.unit.id) in seen
    # The 收文 unit's own analysis has its 收文 and nothing of the sender's 发文 or 签报.
    own = api.AnalysisQuery(tuple(KINDS), *MARCH, unit_id=city.units["czj"].id)
    assert {s.process_key for s in api.task_analysis(own)} == {"shouwen"}


def _as(client: FlaskClient, user: User) -> FlaskClient:
    assert login(client, user.username, PASSWORD).status_code == 302
    return client


def _xlsx_rows(client: FlaskClient, query: str) -> list[list[object]]:
    response = client.get(f"/gongwen/analysis.xlsx?{PERIOD}{query}")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    return [[c.value for c in row] for row in sheet.iter_rows()]


def _line(key: str, figures: tuple[object, ...]) -> list[str | None]:
    node, total, handled, avg, p90, overdue, reminders = figures
    number = lambda v: None if v is None else str(float(v))  # noqa: E731 (empty cells)
    rate = round(int(overdue) / int(total) * 100, 1)  # type: ignore[call-overload]
    return [KINDS[key].word, str(node), str(total), str(handled), number(avg), number(p90),
            str(overdue), str(rate), str(reminders)]  # fmt: skip


def test_page_and_xlsx_of_the_sending_unit(client, run) -> None:
    _as(client, run.user("officedir"))
    page = client.get(f"/gongwen/analysis?{PERIOD}").get_data(as_text=True)
    match = CHART.search(page)
    assert match
    labels = json.loads(match.group(1))["labels"]
    for key in ("fawen", "qianbao"):
        for step in KINDS[key].steps:
            assert f"{KINDS[key].word}·{step}" in labels
    assert not any(label.startswith("收文") for label in labels)  # 收文 is 市财政局's
    rows = _xlsx_rows(client, "")
    body = [row for row in rows[2:] if row[1] in KINDS["fawen"].steps + KINDS["qianbao"].steps]
    wanted = [_line(k, f) for k in ("fawen", "qianbao") for f in expected(k)]
    assert sorted(body) == sorted(wanted)


def test_xlsx_of_the_receiving_unit(client, run) -> None:
    _as(client, office_director(run.units["czj"]))
    rows = _xlsx_rows(client, "&process=shouwen")
    assert rows[1][:2] == ["流程", "环节"]
    body = [row for row in rows[2:] if row[1] in KINDS["shouwen"].steps]
    assert sorted(body) == sorted(_line("shouwen", f) for f in expected("shouwen"))
