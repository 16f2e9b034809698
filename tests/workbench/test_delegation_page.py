"""委托设置: list, create (with Chinese errors kept by the fields) and revoke one's own rules."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from engine import api
from services.db import db
from tests.auth.helpers import csrf_token
from tests.workbench.helpers import logged_in

GOOD = {"starts_at": "2026-01-01T08:00", "ends_at": "2099-01-01T18:00", "reason": "出差"}


def _post(client, path: str, data: dict):
    token = csrf_token(client, "/workbench/delegations")
    return client.post(path, data={**data, "csrf_token": token})


def test_page_is_linked_from_the_nav(client, office) -> None:
    html = logged_in(client, "head1").get("/workbench/").get_data(as_text=True)
    assert 'href="/workbench/delegations"' in html


def test_create_list_and_revoke(client, office) -> None:
    client = logged_in(client, "head1")
    data = {**GOOD, "delegate_id": str(office.colleague.id), "process_keys": ["qingjia"]}
    response = _post(client, "/workbench/delegations", data)
    assert response.status_code == 302
    [rule] = api.delegation_rules(office.head.id)
    assert (rule.delegate_id, rule.process_keys, rule.reason) == (
        office.colleague.id,
        ["qingjia"],
        "出差",
    )
    assert rule.starts_at.hour == 0  # 08:00 Beijing time is 00:00 UTC
    html = client.get("/workbench/delegations").get_data(as_text=True)
    assert "赵科员" in html and "生效中" in html
    revoke = _post(client, f"/workbench/delegations/{rule.id}/revoke", {})
    assert revoke.status_code == 302
    assert api.delegation_rules(office.head.id)[0].active is False
    assert "已撤销" in client.get("/workbench/delegations").get_data(as_text=True)


def test_delegate_by_login_name(client, office) -> None:
    client = logged_in(client, "head1")
    response = _post(client, "/workbench/delegations", {**GOOD, "delegate_username": "clerk1"})
    assert response.status_code == 302
    assert api.delegation_rules(office.head.id)[0].delegate_id == office.clerk.id


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"delegate_id": ""}, "请选择受托人"),
        ({"delegate_username": "nobody"}, "找不到在职人员：nobody"),
        ({"starts_at": ""}, "请填写开始时间"),
        ({"ends_at": "明天"}, "结束时间格式有误"),
        ({"ends_at": "2025-01-01T00:00"}, "委托结束时间须晚于开始时间"),
        ({"delegate_username": "head1"}, "不能委托给自己"),
    ],
)
def test_mistakes_are_shown_in_chinese(client, office, change, message) -> None:
    client = logged_in(client, "head1")
    data = {**GOOD, "delegate_id": "", **change}
    if "delegate_username" not in change and change.get("delegate_id") != "":
        data["delegate_id"] = str(office.colleague.id)
    response = _post(client, "/workbench/delegations", data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html
    assert 'value="出差"' in html  # the input is kept
    assert api.delegation_rules(office.head.id) == []


def test_overlapping_rule_is_a_conflict(client, office) -> None:
    client = logged_in(client, "head1")
    data = {**GOOD, "delegate_id": str(office.colleague.id)}
    _post(client, "/workbench/delegations", data)
    response = _post(client, "/workbench/delegations", data)
    assert response.status_code == 409
    assert "该时间段内已有生效的委托" in response.get_data(as_text=True)


def test_someone_elses_rule_cannot_be_revoked(client, office) -> None:
    rule_id = api.delegate(
        office.head.id,
        office.colleague.id,
        starts_at=datetime(2026, 1, 1, tzinfo=UTC),
        ends_at=datetime(2099, 1, 1, tzinfo=UTC),
    )
    db.session.commit()
    client = logged_in(client, "outsider1")
    assert _post(client, f"/workbench/delegations/{rule_id}/revoke", {}).status_code == 403
    unknown = _post(client, f"/workbench/delegations/{rule_id + 9}/revoke", {})
    assert unknown.status_code == 403
    assert api.delegation_rules(office.head.id)[0].active is True
