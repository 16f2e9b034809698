"""Only 审计管理员 opens any page of the audit console; others get 403, strangers the login."""

from __future__ import annotations

import pytest
from flask import Flask

from services.auth import accounts
from services.db import db
from services.org.roles import AUDITOR, SECADMIN, SYSADMIN
from tests.auth.helpers import PASSWORD, ensure_sysadmin, login, make_user, post_form
from tests.engine.replay.flows import APPROVE, run_approval

# Every audit console rule with concrete arguments; ``test_every_route_is_listed`` keeps it whole.
ROUTES = {
    "audit_console.index": ("GET", "/audit/"),
    "audit_console.verify": ("POST", "/audit/verify"),
    "audit_console.export": ("GET", "/audit/export.xlsx"),
    "audit_console.events": ("GET", "/audit/events"),
    "audit_console.export_events": ("GET", "/audit/events/export.csv"),
    "audit_console.open_instance": ("GET", "/audit/instances?id={id}"),
    "audit_console.instance": ("GET", "/audit/instances/{id}?seq=1"),
    "audit_console.replay": ("POST", "/audit/instances/{id}/replay"),
}


def test_every_route_is_listed(app: Flask) -> None:
    rules = [r for r in app.url_map.iter_rules() if r.endpoint.startswith("audit_console.")]
    assert {r.endpoint for r in rules} == set(ROUTES)
    assert all(r.methods <= {"GET", "HEAD", "OPTIONS", "POST"} for r in rules)  # nothing deletes


@pytest.mark.parametrize("role", [SYSADMIN, SECADMIN, None])
def test_non_auditors_get_403_everywhere(app: Flask, people, role: str | None) -> None:
    instance_id = run_approval(people, APPROVE)
    ensure_sysadmin()
    make_user("someone", roles=(role,) if role else ())
    db.session.commit()
    client = app.test_client()
    login(client, "someone", PASSWORD)
    for endpoint, (method, path) in ROUTES.items():
        url = path.format(id=instance_id)
        response = client.get(url) if method == "GET" else post_form(client, url, {})
        assert response.status_code == 403, endpoint
        assert "您没有执行此操作的权限" in response.get_data(as_text=True)


def test_the_instances_own_starter_is_no_auditor(app: Flask, people) -> None:
    instance_id = run_approval(people, APPROVE)
    ensure_sysadmin()
    db.session.commit()
    accounts.set_password(people.starter, PASSWORD, must_change=False)
    db.session.commit()
    client = app.test_client()
    login(client, people.starter.username, PASSWORD)
    assert client.get(f"/audit/instances/{instance_id}").status_code == 403
    assert post_form(client, f"/audit/instances/{instance_id}/replay", {}).status_code == 403


def test_strangers_are_sent_to_login(app: Flask, people) -> None:
    instance_id = run_approval(people, APPROVE)
    ensure_sysadmin()
    db.session.commit()
    client = app.test_client()
    for endpoint, (method, path) in ROUTES.items():
        if method == "GET":
            response = client.get(path.format(id=instance_id))
            assert response.status_code == 302, endpoint
            assert response.headers["Location"].startswith("/login"), endpoint


def test_the_auditor_reaches_every_page(app: Flask, people) -> None:
    instance_id = run_approval(people, APPROVE)
    ensure_sysadmin()
    make_user("auditor", roles=(AUDITOR,))
    db.session.commit()
    client = app.test_client()
    login(client, "auditor", PASSWORD)
    for endpoint, (method, path) in ROUTES.items():
        url = path.format(id=instance_id)
        response = client.get(url) if method == "GET" else post_form(client, url, {})
        assert response.status_code in (200, 302), endpoint
