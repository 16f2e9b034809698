"""Starting 请假 and driving the pages as a logged-in user."""

from __future__ import annotations

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from engine import api
from services.db import db
from tests.auth.helpers import PASSWORD, csrf_token, login

APPLY = {"leave_type": "事假", "start_date": "2026-12-01", "days": "2", "reason": "家中有事"}


def logged_in(client: FlaskClient, username: str) -> FlaskClient:
    """Log ``client`` in as ``username`` (the fixtures' shared password)."""
    response = login(client, username, PASSWORD)
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def start_qingjia(starter_id: int, **data: object) -> api.TaskView:
    """Start 请假 as ``starter_id``; returns their first task (填写申请)."""
    instance = api.start_instance("qingjia", starter_id=starter_id, data=dict(data))
    db.session.commit()
    page = api.inbox(starter_id, filters=api.InboxFilters(sort="created"), per_page=1)
    task = page.items[0]
    assert task.instance_id == instance.id
    return task


def submit(client: FlaskClient, path: str, data: dict[str, str]) -> TestResponse:
    """POST a page's form with the CSRF token taken from ``path`` itself."""
    return client.post(path, data={**data, "csrf_token": csrf_token(client, path)})


def open_task_of(user_id: int) -> api.TaskView:
    """The single open task of a user."""
    page = api.inbox(user_id)
    assert page.total == 1, page.items
    return page.items[0]
