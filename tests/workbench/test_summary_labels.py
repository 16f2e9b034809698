"""The task and instance pages name the process in Chinese (“请假申请”), never by its key."""

from __future__ import annotations

from tests.workbench.helpers import logged_in, start_qingjia


def test_summaries_show_the_process_name(client, office) -> None:
    task = start_qingjia(office.clerk.id)
    client = logged_in(client, "clerk1")
    for path in (f"/workbench/tasks/{task.id}", f"/workbench/instances/{task.instance_id}"):
        html = client.get(path).get_data(as_text=True)
        assert "<div><dt>流程</dt><dd>请假申请</dd></div>" in html, path
        assert "<dd>qingjia</dd>" not in html
