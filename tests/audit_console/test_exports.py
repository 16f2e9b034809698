"""Exports of both logs as .xlsx and CSV: the right rows, Beijing times, audited, capped."""

from __future__ import annotations

import dataclasses
from datetime import datetime

import pytest
from flask.testing import FlaskClient

from engine.runtime.history import open_log
from services import config
from services.audit import log as audit
from services.db import db
from tests.audit_console.helpers import audit_actions, csv_rows, events_of, xlsx_rows
from tests.engine.replay.flows import APPROVE, run_approval
from tests.engine.runtime.conftest import make_bare_instance

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EVENT_HEADER = [
    "时间",
    "实例编号",
    "流程",
    "文号",
    "标题",
    "事件序号",
    "事件",
    "环节",
    "操作人",
    "数据",
]
LOG_HEADER = ["序号", "时间", "用户", "IP", "终端", "操作", "对象类型", "对象", "结果", "详情"]


@pytest.fixture
def cap(monkeypatch):
    """``cap(n)``: the export row cap becomes ``n`` (as if OA_AUDIT_EXPORT_MAX_ROWS=n)."""

    def set_cap(rows: int) -> None:
        narrowed = dataclasses.replace(config.current_settings(), audit_export_max_rows=rows)
        monkeypatch.setattr(config, "_installed", narrowed)

    return set_cap


def test_events_as_xlsx(frozen_clock, auditor: FlaskClient, people) -> None:
    instance_id = run_approval(people, APPROVE)
    other = run_approval(people, [])  # only started: excluded by the filter below
    response = auditor.get(f"/audit/events/export.xlsx?instance={instance_id}")

    assert response.status_code == 200 and response.mimetype == XLSX
    assert response.headers["Content-Disposition"] == "attachment; filename=process-events.xlsx"
    header, *body = xlsx_rows(response.data)
    assert header == EVENT_HEADER
    recorded = events_of(instance_id)
    assert [row[5] for row in body] == [e.seq for e in recorded]  # oldest first, all of them
    assert {row[1] for row in body} == {instance_id} and other != instance_id
    started = body[0]
    assert started[0] == datetime(2025, 3, 3, 9, 0)  # 01:00 UTC is 09:00 Beijing, a real date
    assert started[2:5] == ["运行时测试审批", None, "关于做好春节期间值班工作的通知"]
    assert (started[6], started[8]) == ("发起流程", "张三")
    review = next(row for row in body if row[6] == "办理完成" and row[7] == "审核")
    assert review[8] == "李四" and '"opinion": "同意"' in review[9]
    (record,) = audit_actions("audit.events_export")
    assert record.detail == {
        "format": "xlsx",
        "rows": len(recorded),
        "filters": {"instance": str(instance_id)},
    }


def test_events_as_csv(frozen_clock, auditor: FlaskClient, people) -> None:
    instance_id = run_approval(people, APPROVE)
    response = auditor.get("/audit/events/export.csv?kind=completed")
    assert response.mimetype == "text/csv"
    header, *body = csv_rows(response.data)
    assert header == EVENT_HEADER
    assert [(row[1], row[6], row[7]) for row in body] == [
        (str(instance_id), "办理完成", "拟稿"),
        (str(instance_id), "办理完成", "审核"),
    ]
    assert body[0][0] == "2025-03-03 09:00:00"  # Beijing time, as the page shows it


def test_audit_log_as_xlsx_and_csv(auditor: FlaskClient) -> None:
    audit.record("doc.note", object_type="doc", object_id=7, detail={"备注": "=HYPERLINK(1)"})
    db.session.commit()
    header, *body = xlsx_rows(auditor.get("/audit/export.xlsx?action=doc.").data)
    assert header == LOG_HEADER
    (row,) = body
    assert row[5:9] == ["doc.note", "doc", "7", "成功"]
    assert row[9] == '{"备注": "=HYPERLINK(1)"}'  # text, never a live formula
    header, *body = csv_rows(auditor.get("/audit/export.csv?action=doc.").data)
    assert header == LOG_HEADER and [r[5] for r in body] == ["doc.note"]
    assert [e.detail["format"] for e in audit_actions("audit.export")] == ["xlsx", "csv"]


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_an_export_over_the_cap_is_refused_with_a_message(
    auditor: FlaskClient, people, cap, fmt
) -> None:
    instance_id = run_approval(people, APPROVE)
    total = len(events_of(instance_id))
    cap(total - 1)

    refused = auditor.get(f"/audit/events/export.{fmt}?process=runtime_approval")
    assert refused.status_code == 302
    assert refused.headers["Location"] == "/audit/events?process=runtime_approval"
    page = auditor.get(refused.headers["Location"]).get_data(as_text=True)
    assert f"符合条件的记录共 {total} 条，超过单次导出上限 {total - 1} 条，未导出" in page
    assert "请缩小时间范围或增加筛选条件后分批导出" in page and "flash-error" in page
    (record,) = audit_actions("audit.events_export")
    assert record.result == "failure" and record.detail["rows"] == total

    cap(total)
    allowed = auditor.get(f"/audit/events/export.{fmt}?process=runtime_approval")
    assert allowed.status_code == 200


def test_the_audit_log_export_is_capped_too(auditor: FlaskClient, cap) -> None:
    cap(1)
    refused = auditor.get("/audit/export.xlsx", follow_redirects=True)
    assert "超过单次导出上限 1 条" in refused.get_data(as_text=True)
    assert refused.request.path == "/audit/"


def test_a_large_export_streams_in_batches(auditor: FlaskClient, people) -> None:
    # More rows than one fetch batch (500): names are looked up while the cursor stays open.
    instance = make_bare_instance(people.starter, key="bulk")
    log = open_log(instance)
    for n in range(1_203):
        actor = people.starter if n % 2 else people.reviewer
        log.append("task_claimed", actor_id=actor.id, data={"n": n})
    db.session.commit()
    header, *body = xlsx_rows(auditor.get("/audit/events/export.xlsx?process=bulk").data)
    assert header == EVENT_HEADER and [row[5] for row in body] == list(range(1, 1_204))
    assert [row[8] for row in body[:2]] == ["李四", "张三"] and body[-1][8] == "李四"
    assert body[-1][9] == '{"n": 1202}'
