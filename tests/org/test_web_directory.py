"""The 通讯录 page and the JSON lookups of the org pickers."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from services.auth import accounts
from services.db import db
from services.org import grants
from services.org.models import User
from services.org.roles import SYSADMIN
from tests.auth.helpers import PASSWORD, login
from tests.org.conftest import SmallOrg
from tests.org.factories import make_user

API = ["/directory/api/users?q=科", "/directory/api/units?q=教育", "/directory/api/departments"]


def log_in(client: FlaskClient, user: User) -> FlaskClient:
    """Log ``user`` in through the real login form (a system administrator must exist first,
    otherwise /login leads to the first-run setup)."""
    if not grants.has_system_admin():
        make_user("admin", user.unit, None, "staff", "管理员甲", roles=(SYSADMIN,))
    accounts.set_password(user, PASSWORD, must_change=False)
    db.session.commit()
    response = login(client, user.username, PASSWORD)
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def test_anonymous_page_goes_to_login(client: FlaskClient, org: SmallOrg) -> None:
    response = client.get("/directory")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


@pytest.mark.parametrize("url", API)
def test_anonymous_api_gets_401_json(client: FlaskClient, org: SmallOrg, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 401
    assert response.get_json()["error"]["message"] == "请先登录。"


def test_page_shows_own_unit_grouped_by_department(client: FlaskClient, org: SmallOrg) -> None:
    html = log_in(client, org.clerk).get("/directory").get_data(as_text=True)
    for text in (
        "通讯录",
        "江城市教育局",
        "单位领导",
        "办公室",
        "基础教育科",
        "刘科长",
        "部门负责人",
    ):
        assert text in html
    assert "四大家" in html and "市直部门" in html and "镇（办、区）" in html
    assert "市政府所属" in html
    assert "13912345678" in html  # a colleague of the same unit: the whole number
    assert "孙退休" not in html  # inactive


def test_mobile_masked_for_another_unit(client: FlaskClient, org: SmallOrg) -> None:
    log_in(client, org.town_chief)
    html = client.get(f"/directory?unit_id={org.bureau.id}").get_data(as_text=True)
    assert "周收发" in html
    assert "139****5678" in html and "13912345678" not in html


def test_search_box_finds_people_across_units(client: FlaskClient, org: SmallOrg) -> None:
    log_in(client, org.town_chief)
    html = client.get("/directory?q=刘科").get_data(as_text=True)
    assert "查找“刘科”" in html and "（1 人）" in html and "刘科长" in html


def test_unknown_unit_page_is_404(client: FlaskClient, org: SmallOrg) -> None:
    assert log_in(client, org.clerk).get("/directory?unit_id=99999").status_code == 404


def test_api_users(client: FlaskClient, org: SmallOrg) -> None:
    log_in(client, org.clerk)
    items = client.get("/directory/api/users?q=科").get_json()["items"]
    assert [(i["name"], i["unit"], i["department"], i["position"]) for i in items] == [
        ("刘科长", "市教育局", "基础教育科", "部门负责人"),
        ("张科员", "市教育局", "基础教育科", "科员"),
    ]
    in_town = client.get(f"/directory/api/users?q=长&unit_id={org.town.id}").get_json()
    assert [i["username"] for i in in_town["items"]] == ["tchief"]


def test_api_users_returns_at_most_20(client: FlaskClient, org: SmallOrg) -> None:
    for n in range(25):
        make_user(f"bulk{n}", org.town, None, "staff", f"批量{n}")
    log_in(client, org.clerk)
    assert len(client.get("/directory/api/users?q=批量").get_json()["items"]) == 20


def test_api_units_and_departments(client: FlaskClient, org: SmallOrg) -> None:
    log_in(client, org.clerk)
    units = client.get("/directory/api/units?q=教育").get_json()["items"]
    assert [(u["short_name"], u["parent"]) for u in units] == [
        ("市教育局", "市政府"),
        ("考试院", "市教育局"),
    ]
    url = f"/directory/api/departments?unit_id={org.bureau.id}"
    departments = client.get(url).get_json()["items"]
    assert [(d["name"], d["is_office"]) for d in departments] == [
        ("办公室", True),
        ("基础教育科", False),
        ("人事科", False),
    ]


def test_api_unknown_unit_is_404_json(client: FlaskClient, org: SmallOrg) -> None:
    log_in(client, org.clerk)
    response = client.get("/directory/api/departments?unit_id=99999")
    assert response.status_code == 404
    assert "单位不存在" in response.get_json()["error"]["message"]
