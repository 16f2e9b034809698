"""A task whose title only names its step (“请假申请：填写”, “发文拟稿”) is listed in 待办 with
the title of the instance it belongs to, so that two of them can be told apart."""

from __future__ import annotations

from engine.runtime.models import HumanTask
from services.db import db
from tests.workbench.helpers import logged_in, start_qingjia


def test_step_titled_task_shows_its_instance_title(client, office) -> None:
    start_qingjia(office.clerk.id, title="张科员年休假")
    start_qingjia(office.clerk.id, title="张科员病假")
    html = logged_in(client, "clerk1").get("/workbench/").get_data(as_text=True)
    assert html.count("请假申请：填写</a>") == 2
    assert '<span class="wb-instance-title muted">张科员年休假</span>' in html
    assert '<span class="wb-instance-title muted">张科员病假</span>' in html


def test_title_already_naming_the_instance_is_not_repeated(client, office) -> None:
    task = start_qingjia(office.clerk.id, title="张科员年休假")
    db.session.get(HumanTask, task.id).title = "填写：张科员年休假"
    db.session.commit()
    html = logged_in(client, "clerk1").get("/workbench/").get_data(as_text=True)
    assert "填写：张科员年休假</a>" in html
    assert "wb-instance-title" not in html
