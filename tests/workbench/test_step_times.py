"""各环节用时 on the instance page: each human step with its holder and duration, moved by a
frozen clock; an open step counts until now and is flagged once past its deadline."""

from __future__ import annotations

import lxml.html

from engine import api
from services.db import db
from tests.workbench.helpers import APPLY, logged_in, start_qingjia


def _rows(client, instance_id):
    page = client.get(f"/workbench/instances/{instance_id}")
    assert page.status_code == 200
    tree = lxml.html.fromstring(page.get_data(as_text=True))
    return [
        [cell.text_content().strip() for cell in row.findall("td")]
        for row in tree.xpath("//table[@class='wb-durations']/tbody/tr")
    ]


def test_each_step_shows_holder_and_duration(client, office, frozen_clock) -> None:
    task = start_qingjia(office.clerk.id)
    db.session.commit()
    frozen_clock.advance(hours=2, minutes=5)
    api.complete_task(task.id, actor_id=office.clerk.id, data={**APPLY, "days": 2})
    db.session.commit()
    frozen_clock.advance(days=1, hours=3)  # past the head's one-day deadline

    rows = _rows(logged_in(client, "clerk1"), task.instance_id)

    assert [(r[0], r[1], r[4], r[5]) for r in rows] == [
        ("填写申请", office.clerk.name, "2小时5分钟", "已办理"),
        ("部门负责人审批", office.head.name, "1天3小时 超期", "办理中"),
    ]
    assert rows[1][3] == "—"
