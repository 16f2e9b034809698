"""The 收文 pages after the acceptance run: 办理期限 in working days (across 国庆 2026), who
退文ed on the sender's page, the 档号 of a filed 收文 on its page, the 收文箱 and 收文查询, the
领导批示 page's two 传阅 kept apart, and paper scans shown as 来文扫描件 in their own format."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from urllib.parse import quote

from sqlalchemy import select

from engine import api
from services.db import db
from services.gongwen import exchange
from services.gongwen.models import DocumentFile
from tests.archive.test_shouwen_archive import archive_through_process, handled_to_finish
from tests.auth.helpers import csrf_token
from tests.files.helpers import PDF, image_bytes
from tests.shouwen import helpers as sw
from tests.shouwen.test_pages import as_user, post
from tests.shouwen.test_paper import submit

# Tuesday 2026-09-29, 09:00 Beijing: the 国庆 holiday runs 10-01..10-07, Saturday 10-10 is worked.
EVE_OF_GUOQING = datetime(2026, 9, 29, 1, 0, tzinfo=UTC)
SOON = "收文办理期限将到，请尽快办理"


def deliver(city) -> object:
    issued = sw.issue_to(city, ["czj", "rsj"])
    sw.send(city, issued)
    api.deliver_messages(worker_id="w1")
    return issued


def fire_at(frozen_clock, moment: datetime) -> int:
    frozen_clock.current = moment
    fired = api.fire_due_timers(worker_id="t")
    db.session.expire_all()
    return fired


# ------------------------------------------------------------------ 办理期限 in working days


def test_the_default_deadline_counts_working_days_across_guoqing(app) -> None:
    # 特急 2 from Tuesday 09-29: 09-30, 10-08. 加急 5: ..., 10-09, 10-10 (调休), 10-12.
    assert exchange.default_deadline("very_urgent", date(2026, 9, 29)) == date(2026, 10, 8)
    assert exchange.default_deadline("urgent", date(2026, 9, 29)) == date(2026, 10, 12)
    assert exchange.default_deadline("normal", date(2026, 9, 25)) == date(2026, 10, 15)
    # Calendar days would have ended inside the holiday (10-01 and 10-04).
    assert exchange.default_deadline("very_urgent", date(2026, 9, 29)) != date(2026, 10, 1)


def test_the_register_page_offers_the_working_day_deadline(client, city, frozen_clock) -> None:
    frozen_clock.current = EVE_OF_GUOQING
    deliver(city)
    czj = city.units["czj"]
    record = sw.record_of(czj)
    sw.do(record.instance_id, sw.registrar(czj), "签收", {"sign_action": "签收"})
    page = as_user(client, sw.registrar(czj)).get(f"/shouwen/{record.id}/register")
    assert page.status_code == 200
    # The delivered 通知 is 加急: 5 working days, not 2026-10-04 in the holiday.
    assert 'value="2026-10-12"' in page.get_data(as_text=True)


def test_a_paper_letter_without_deadline_gets_working_days(client, city, frozen_clock) -> None:
    frozen_clock.current = EVE_OF_GUOQING
    as_user(client, sw.registrar(city.units["czj"]))
    response = submit(client, urgency="very_urgent", received_date="2026-09-29", deadline="")
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    (record,) = exchange.inbox(city.units["czj"].id)
    assert record.deadline == date(2026, 10, 8)


def test_reminder_on_the_working_day_before_a_deadline_after_guoqing(city, frozen_clock) -> None:
    frozen_clock.current = EVE_OF_GUOQING
    deliver(city)
    czj = city.units["czj"]
    record = sw.record_of(czj)
    instance_id = record.instance_id
    # 特急: the 2 working days the 登记 page offers (see above); the form requires a date.
    deadline = exchange.default_deadline("very_urgent", date(2026, 9, 29))
    form = sw.register_form(urgency="very_urgent", deadline=deadline.isoformat())
    sw.do(instance_id, sw.registrar(czj), "签收", {"sign_action": "签收"})
    sw.do(instance_id, sw.registrar(czj), "登记", form)
    record = sw.record_of(czj)
    assert record.deadline == date(2026, 10, 8)
    times = exchange.deadline_times(record)
    assert datetime.fromisoformat(times["remind"]) == datetime(2026, 9, 30, 10, 0, tzinfo=UTC)
    assert datetime.fromisoformat(times["expire"]) == datetime(2026, 10, 8, 10, 0, tzinfo=UTC)

    sw.instruct_to_host(instance_id, czj)
    remind_at = datetime(2026, 9, 30, 10, 0, tzinfo=UTC)  # Wednesday 18:00 Beijing
    assert fire_at(frozen_clock, remind_at - timedelta(seconds=1)) == 0
    assert fire_at(frozen_clock, remind_at) == 1
    assert fire_at(frozen_clock, datetime(2026, 10, 7, 10, 0, tzinfo=UTC)) == 0  # in the holiday
    assert fire_at(frozen_clock, datetime(2026, 10, 8, 10, 0, tzinfo=UTC)) == 1  # escalation
    assert not exchange.is_overdue(sw.record_of(czj), date(2026, 10, 8))
    assert exchange.is_overdue(sw.record_of(czj), date(2026, 10, 9))
    assert [t.name for t in sw.open_tasks(instance_id)] == ["主办部门办理"]


# ------------------------------------------------------------------ 退文: who


def test_the_sender_sees_who_returned_it(client, city) -> None:
    issued = deliver(city)
    rsj = city.units["rsj"]
    returner = sw.registrar(rsj)
    as_user(client, returner)
    response = post(client, f"/shouwen/{sw.record_of(rsj).id}/return", reason="不属于本局职责范围")
    assert response.status_code == 302
    statuses = {s.name: s for s in exchange.recipient_statuses(issued.document.id)}
    assert statuses[rsj.name].returned_by == returner.name
    assert statuses[city.units["czj"].name].returned_by == ""

    client.post("/logout", data={"csrf_token": csrf_token(client, "/shouwen/")})
    page = as_user(client, city.user("clerk")).get(f"/gongwen/{issued.document.id}")
    text = page.get_data(as_text=True)
    assert "退文（退文人、理由）" in text
    assert f'<span class="sw-returned-by">{returner.name}</span>：不属于本局职责范围' in text


# ------------------------------------------------------------------ 档号


def test_a_filed_shouwen_shows_its_archive_code(client, city) -> None:
    handled = handled_to_finish(city)
    czj = city.units["czj"]
    ours = sw.record_of(czj)
    filed = archive_through_process(city, handled)
    code, link = filed.archive_code, f'href="/shouwen/{ours.id}#archive"'

    as_user(client, sw.registrar(czj))
    page = client.get(f"/shouwen/{ours.id}").get_data(as_text=True)
    assert f'<a href="#archive">{code}</a>' in page and 'id="archive"' in page
    assert "收文处理单" in page and "定期30年" in page
    inbox = client.get("/shouwen/").get_data(as_text=True)
    assert code in inbox and link in inbox
    query = client.get("/shouwen/query").get_data(as_text=True)
    assert re.search(r"<th>\s*档号\s*</th>", query) and f"{link}>{code}</a>" in query
    items = client.get("/shouwen/query.json").get_json()["items"]
    assert [i["archive_code"] for i in items] == [code]

    # The 主办部门 head took part: the row shows the 档号, without the keepers' link.
    client.post("/logout", data={"csrf_token": csrf_token(client, "/shouwen/")})
    as_user(client, sw.head(handled.host))
    assert client.get(f"/shouwen/{ours.id}").status_code == 403
    query = client.get("/shouwen/query").get_data(as_text=True)
    assert code in query and link not in query


def test_an_unfiled_shouwen_shows_no_archive_code(client, city) -> None:
    deliver(city)
    czj = city.units["czj"]
    as_user(client, sw.registrar(czj))
    page = client.get(f"/shouwen/{sw.record_of(czj).id}").get_data(as_text=True)
    assert 'id="archive"' not in page and "档号" not in page
    assert "sw-archive-code" not in client.get("/shouwen/").get_data(as_text=True)
    items = client.get("/shouwen/query.json").get_json()["items"]
    assert [i["archive_code"] for i in items] == [None]


# ------------------------------------------------------------------ 传阅 on the 批示 page


def test_the_instruct_page_keeps_the_forms_readers_apart(client, city) -> None:
    deliver(city)
    czj = city.units["czj"]
    instance_id = sw.sign_and_register(czj)
    director = sw.office_director(czj)
    sw.do(instance_id, director, "初审", {"review_accept": True})
    (propose,) = [t for t in sw.open_tasks(instance_id) if t.name == "拟办"]
    if propose.assignee_id is None:
        api.claim_task(propose.id, director.id)
        db.session.commit()
    as_user(client, director)
    page = client.get(f"/workbench/tasks/{propose.id}").get_data(as_text=True)
    # No 传阅 field in the 拟办 form: the panel is the ordinary one.
    assert "<summary>传阅给他人</summary>" in page and "另行传阅" not in page

    client.post("/logout", data={"csrf_token": csrf_token(client, "/workbench/")})
    sw.do(instance_id, director, "拟办", {"proposal": "建议业务科室主办"})
    (instruct,) = [t for t in sw.open_tasks(instance_id) if t.name == "领导批示"]
    api.claim_task(instruct.id, sw.leader(czj).id)
    db.session.commit()
    as_user(client, sw.leader(czj))
    page = client.get(f"/workbench/tasks/{instruct.id}").get_data(as_text=True)
    assert 'id="f-readers"' in page and 'id="f-circulate_note"' in page  # the 批示's own
    assert "提交批示时即传阅给所选人员" in page
    assert "<summary>另行传阅（不属本环节）</summary>" in page
    assert '<label for="circ-users">另行传阅人员</label>' in page
    assert '<label for="circ-note">另行传阅说明</label>' in page
    assert '<details class="wb-circulate wb-circulate-apart">' in page  # folded
    assert "<summary>传阅给他人</summary>" not in page


# ------------------------------------------------------------------ paper scans


def test_paper_scans_are_labelled_as_scans_in_their_own_format(client, city) -> None:
    czj = city.units["czj"]
    as_user(client, sw.registrar(czj))
    jpeg = image_bytes("JPEG")
    scans = [("第1页.jpg", jpeg), ("第2页.pdf", PDF)]
    response = submit(client, scans=scans, attachments=[("附件.pdf", PDF)])
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    (record,) = exchange.inbox(czj.id)
    page = client.get(f"/shouwen/{record.id}").get_data(as_text=True)
    kinds = re.findall(r'<span class="sw-file-kind">([^<]+)</span>：<a [^>]+>([^<]+)</a>', page)
    assert sorted(kinds) == [
        ("来文扫描件（JPEG）", "第1页.jpg"),
        ("来文扫描件（PDF）", "第2页.pdf"),
        ("附件（PDF）", "附件.pdf"),
    ]
    assert "盖章版" not in page and "来文正本" not in page

    stored = db.session.scalars(
        select(DocumentFile).where(
            DocumentFile.document_id == record.document_id, DocumentFile.filename == "第1页.jpg"
        )
    ).one()
    download = client.get(f"/shouwen/{record.id}/files/{stored.id}")
    assert download.status_code == 200 and download.mimetype == "image/jpeg"
    assert f"filename*=UTF-8''{quote('第1页.jpg')}" in download.headers["Content-Disposition"]
    assert download.data == jpeg


def test_a_delivered_copy_lists_its_sealed_original(client, city) -> None:
    deliver(city)
    czj = city.units["czj"]
    as_user(client, sw.registrar(czj))
    page = client.get(f"/shouwen/{sw.record_of(czj).id}").get_data(as_text=True)
    assert '<span class="sw-file-kind">来文正本（PDF）</span>' in page
    assert "来文扫描件" not in page


def test_a_filed_paper_letter_names_its_scans_in_the_item_list(client, city) -> None:
    czj = city.units["czj"]
    as_user(client, sw.registrar(czj))
    assert submit(client, scans=[("第1页.jpg", image_bytes("JPEG"))]).status_code == 302
    api.deliver_messages(worker_id="w1")
    instance_id = sw.sign_and_register(czj, need_reply=False)
    host = sw.instruct_to_host(instance_id, czj)
    sw.do(instance_id, sw.head(host), "主办部门办理", {"host_feedback": "已办理"})
    sw.do(instance_id, sw.office_director(czj), "办结", {"result": "已办结"})
    sw.do(instance_id, sw.registrar(czj), "归档", {"archive_confirm": True})
    page = client.get(f"/shouwen/{sw.record_of(czj).id}").get_data(as_text=True)
    row = re.search(r'<tr data-kind="received_doc">(.*?)</tr>', page, re.S)
    assert row is not None, page[-3000:]
    assert "来文正本（扫描件）" in row.group(1) and "来文正本.jpg" in row.group(1)
