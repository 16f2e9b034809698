"""One instance under audit: chain verdict, replay verdict, step-by-step data, tampering named."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import update

from engine.runtime.models import InstanceEvent
from services.db import db
from tests.audit_console.helpers import audit_actions, event_of, events_of
from tests.auth.helpers import post_form
from tests.engine.replay.flows import APPROVE, run_approval
from tests.engine.replay.test_replay import rehash_from
from tests.engine.runtime.helpers import SUBJECT


def test_an_untouched_instance_replays_as_verified(auditor: FlaskClient, people) -> None:
    instance_id = run_approval(people, APPROVE)
    count = len(events_of(instance_id))

    page = auditor.get(f"/audit/instances/{instance_id}").get_data(as_text=True)
    assert f"哈希链完整（共 {count} 条事件）" in page and "重放校验" in page
    assert SUBJECT in page and "办理完成" in page

    replayed = post_form(auditor, f"/audit/instances/{instance_id}/replay", {})
    body = replayed.get_data(as_text=True)
    assert replayed.status_code == 200
    assert "校验通过：哈希链完整，重放结果与记录一致" in body
    assert f"重放一致：共核对 {count} 条事件" in body and 'data-verdict="ok"' in body
    (record,) = audit_actions("audit.instance_replay")
    assert (record.username, record.object_id, record.result) == (
        "auditor",
        str(instance_id),
        "success",
    )
    assert record.detail == {"status": "ok", "events": count}


def test_a_changed_event_is_named(auditor: FlaskClient, people) -> None:
    instance_id = run_approval(people, APPROVE)
    tampered = event_of(instance_id, "task_completed", "review")
    db.session.execute(
        update(InstanceEvent)
        .where(InstanceEvent.id == tampered.id)
        .values(data={"task_id": tampered.data["task_id"], "data": {"approved": False}})
    )
    db.session.commit()

    page = auditor.get(f"/audit/instances/{instance_id}").get_data(as_text=True)
    assert f"校验未通过：第 {tampered.seq} 条事件被篡改" in page
    assert f"第 {tampered.seq} 条事件内容与哈希不符" in page
    assert f'id="event-{tampered.seq}" class="tampered"' in page

    body = post_form(auditor, f"/audit/instances/{instance_id}/replay", {}).get_data(as_text=True)
    assert f"校验未通过：第 {tampered.seq} 条事件被篡改" in body and "校验通过：" not in body
    assert 'data-verdict="bad"' in body
    (record,) = audit_actions("audit.instance_replay")
    assert record.result == "failure" and record.detail["status"] == "tampered"


def test_a_rehashed_altered_input_is_named_by_replay(auditor: FlaskClient, people) -> None:
    instance_id = run_approval(people, APPROVE)
    altered = event_of(instance_id, "task_completed", "review")
    altered.data = {"task_id": altered.data["task_id"], "data": {"approved": False}}
    db.session.commit()
    rehash_from(instance_id, altered.seq)
    gateway = event_of(instance_id, "gateway_passed", "decide")

    page = auditor.get(f"/audit/instances/{instance_id}").get_data(as_text=True)
    assert "哈希链完整" in page  # the chain alone cannot see it

    body = post_form(auditor, f"/audit/instances/{instance_id}/replay", {}).get_data(as_text=True)
    assert f"校验未通过：第 {gateway.seq} 条事件与重放结果不一致" in body
    assert f'id="event-{gateway.seq}" class="tampered"' in body


def test_stepping_shows_the_data_as_of_each_event(auditor: FlaskClient, people) -> None:
    instance_id = run_approval(people, APPROVE)
    review = event_of(instance_id, "task_completed", "review")

    page = auditor.get(f"/audit/instances/{instance_id}?seq={review.seq}").get_data(as_text=True)

    assert f"第 {review.seq} 条事件：办理完成" in page
    changes = page.split('aria-label="数据变化"')[1].split("</table>")[0]
    approved = (
        '<td>是否同意 <span class="hint">approved</span></td><td class="au-change-新增">新增</td>'
    )
    assert approved + "<td></td><td>是</td>" in changes  # labelled by the review form's title
    assert '审核意见 <span class="hint">opinion</span>' in changes and "同意" in changes
    assert "subject" not in changes  # unchanged by the review
    data = page.split('aria-label="此时的流程数据"')[1].split("</table>")[0]
    assert '<th>标题 <span class="hint">subject</span></th>' in data and SUBJECT in data
    assert ">下一条</a>" in page and ">上一条</a>" in page

    first = auditor.get(f"/audit/instances/{instance_id}?seq=1").get_data(as_text=True)
    assert "第 1 条事件：发起流程" in first and ">上一条</a>" not in first
    assert "subject</" in first and "approved" not in first.split("事件记录的内容")[0]
    views = audit_actions("audit.instance_view")
    assert [v.detail for v in views] == [{"seq": review.seq}, {"seq": 1}]


def test_steps_at_or_after_a_tampered_event_are_not_rebuilt(auditor: FlaskClient, people) -> None:
    instance_id = run_approval(people, APPROVE)
    tampered = event_of(instance_id, "task_completed", "review")
    db.session.execute(
        update(InstanceEvent).where(InstanceEvent.id == tampered.id).values(actor_id=None)
    )
    db.session.commit()

    after = auditor.get(f"/audit/instances/{instance_id}?seq={tampered.seq}")
    assert f"第 {tampered.seq} 条事件校验未通过，不能据此重建此时的数据" in after.get_data(
        as_text=True
    )
    before = auditor.get(f"/audit/instances/{instance_id}?seq=1").get_data(as_text=True)
    assert "不能据此重建" not in before and "subject</" in before


def test_the_instance_number_box_and_unknown_instances(auditor: FlaskClient, people) -> None:
    instance_id = run_approval(people, APPROVE[:1])
    found = auditor.get(f"/audit/instances?id={instance_id}")
    assert found.status_code == 302
    assert found.headers["Location"].endswith(f"/audit/instances/{instance_id}")
    assert auditor.get("/audit/instances?id=abc").status_code == 422
    assert auditor.get("/audit/instances?id=").status_code == 422
    missing = auditor.get("/audit/instances/999999")
    assert missing.status_code == 404 and "流程实例不存在" in missing.get_data(as_text=True)
    assert post_form(auditor, "/audit/instances/999999/replay", {}).status_code == 404


def test_replaying_from_an_open_step_keeps_it_open(auditor: FlaskClient, people) -> None:
    instance_id = run_approval(people, APPROVE)
    review = event_of(instance_id, "task_completed", "review")
    url = f"/audit/instances/{instance_id}/replay"
    body = post_form(auditor, url, {"seq": str(review.seq)}).get_data(as_text=True)
    assert "校验通过：哈希链完整，重放结果与记录一致" in body
    assert f"第 {review.seq} 条事件：办理完成" in body and 'aria-label="数据变化"' in body
