"""公文办理分析 page: who may see it, the unit scope, the table, the chart data and the .xlsx."""

from __future__ import annotations

import io
import json
import re
import uuid
from datetime import UTC, datetime, timedelta

import openpyxl
import pytest

from engine.runtime.models import HumanTask, ProcessInstance
from services.db import db
from services.org.models import User
from tests.auth.helpers import ensure_sysadmin
from tests.engine.runtime.conftest import make_bare_instance
from tests.gongwen_web.conftest import Org
from tests.workbench.helpers import logged_in

T0 = datetime(2025, 3, 3, 1, 0, tzinfo=UTC)  # 09:00 Beijing
PERIOD = "from=2025-03-01&to=2025-03-31"
CHART = re.compile(r'<script type="application/json" id="analysis-data">(.*?)</script>', re.S)


def _task(instance: ProcessInstance, user: User, hours: float, due: float | None = None) -> None:
    db.session.add(
        HumanTask(
            instance_id=instance.id,
            spiff_task_id=str(uuid.uuid4()),
            task_spec="review",
            name="审核",
            process_key="fawen",
            assignee_id=user.id,
            status="completed",
            active=False,
            created_at=T0,
            completed_at=T0 + timedelta(hours=hours),
            completed_by_id=user.id,
            due_at=None if due is None else T0 + timedelta(hours=due),
        )
    )


@pytest.fixture
def tasks(org: Org) -> None:
    """In 市财政局: 2 h (1 h late) and 4 h; in 市交通局: 10 h."""
    ours = make_bare_instance(org.drafter, key="fawen")
    ours.starter_unit_id = org.unit.id
    theirs = ProcessInstance(
        version_id=ours.version_id,
        process_key="fawen",
        title="交通局发文",
        starter_id=org.outsider.id,
        starter_unit_id=org.outsider.unit_id,
    )
    db.session.add(theirs)
    db.session.flush()
    _task(ours, org.drafter, 2, due=1)
    _task(ours, org.colleague, 4)
    _task(theirs, org.outsider, 10)
    db.session.commit()


def _chart(page: str) -> dict:
    match = CHART.search(page)
    assert match, "no chart data on the page"
    return json.loads(match.group(1))


def test_staff_may_not_see_it(client, org, tasks):
    logged_in(client, "drafter")
    assert client.get(f"/gongwen/analysis?{PERIOD}").status_code == 403
    assert client.get(f"/gongwen/analysis.xlsx?{PERIOD}").status_code == 403


def test_director_sees_own_unit_table_and_chart(client, org, tasks):
    logged_in(client, "director")
    response = client.get(f"/gongwen/analysis?{PERIOD}&process=fawen")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert _chart(page) == {
        "labels": ["发文·审核"],
        "avg_hours": [3.0],
        "p90_hours": [4.0],
        "overdue_percent": [50.0],
    }
    cells = re.findall(r"<td>(.*?)</td>", page)
    assert cells == ["发文", "审核", "2", "2", "3.0", "4.0", "1", "50.0", "0"]
    assert 'id="chart-duration"' in page and "echarts.min.js" in page


def test_person_grouping_names_people(client, org, tasks):
    logged_in(client, "director")
    page = client.get(f"/gongwen/analysis?{PERIOD}&group=person").get_data(as_text=True)
    assert _chart(page)["labels"] == ["发文·审核·市财政局·张拟稿", "发文·审核·市财政局·赵同事"]
    assert _chart(page)["overdue_percent"] == [100.0, 0.0]


def test_other_unit_leader_sees_only_theirs(client, org, tasks):
    logged_in(client, "outsider")
    page = client.get(f"/gongwen/analysis?{PERIOD}").get_data(as_text=True)
    assert _chart(page)["avg_hours"] == [10.0]


def test_sysadmin_sees_every_unit_and_exports(client, org, tasks):
    admin = ensure_sysadmin()
    logged_in(client, admin.username)
    page = client.get(f"/gongwen/analysis?{PERIOD}").get_data(as_text=True)
    assert _chart(page)["avg_hours"] == [round(16 / 3, 2)]
    assert _chart(page)["p90_hours"] == [10.0]
    response = client.get(f"/gongwen/analysis.xlsx?{PERIOD}&group=unit")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0][0] == "公文办理分析（2025-03-01 至 2025-03-31）"
    assert rows[1][:4] == ["流程", "环节", "单位", "件数"]
    assert rows[2] == ["发文", "审核", "市财政局", "2", "2", "3.0", "4.0", "1", "50.0", "0"]
    assert rows[3][2:5] == ["市交通局", "1", "1"]


def test_bad_period_is_a_422_with_a_message(client, org, tasks):
    logged_in(client, "director")
    response = client.get("/gongwen/analysis?from=2025-03-31&to=2025-03-01")
    assert response.status_code == 422
    assert "截止日期不能早于开始日期" in response.get_data(as_text=True)
    assert client.get("/gongwen/analysis.xlsx?from=bad").status_code in (400, 422)


def test_echarts_is_served_from_the_whitelist(client, org):
    logged_in(client, "director")
    response = client.get("/workbench/vendor/echarts/echarts.min.js")
    assert response.status_code == 200 and b"echarts" in response.data[:2000]
    response.close()
    assert client.get("/workbench/vendor/echarts/echarts.js").status_code == 404
    assert client.get("/workbench/vendor/echarts/../package.json").status_code == 404


LINK = 'href="/gongwen/analysis"'


def test_no_nav_link_for_staff(client, org):
    logged_in(client, "drafter")
    assert LINK not in client.get("/gongwen/outgoing").get_data(as_text=True)


def test_nav_link_for_the_office_director(client, org):
    logged_in(client, "director")
    assert LINK in client.get("/gongwen/outgoing").get_data(as_text=True)
