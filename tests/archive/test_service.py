"""归档: the 件 and its 档号, 件号 sequences, refusals, immutability and verification."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from datetime import date
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select, text

from services import config
from services.archive import service
from services.archive.models import ArchiveItem, ArchiveRecord
from services.audit.models import AuditEvent
from services.db import db
from services.errors import Conflict, NotFound, ValidationFailed
from services.gongwen.models import DocumentFile
from tests.archive.helpers import make_issued, sample_history
from tests.gongwen.sheet_helpers import make_outgoing

TITLE = "江城市教育局关于做好2025年春季学期开学工作的通知"


def test_archive_files_the_complete_item(app: Flask) -> None:
    document = make_issued()
    record = service.archive_document(
        document.id, actor_id=document.drafter_id, history=sample_history(document.drafter_id)
    )
    assert record.archive_code == "J001-WS·2025-D30-JJK-0001"
    assert service.ARCHIVE_CODE_PATTERN.match(record.archive_code)
    assert (record.fonds_code, record.year, record.retention, record.org_code, record.item_no) == (
        "J001",
        2025,
        "D30",
        "JJK",
        1,
    )
    kinds = [item.kind for item in record.items]
    assert kinds == [
        "sheet_pdf",
        "sealed_pdf",
        "attachment",
        "attachment",
        "final_docx",
        "history_json",
    ]
    assert [item.seq for item in record.items] == [1, 2, 3, 4, 5, 6]
    for item in record.items:
        assert item.sha256 == hashlib.sha256(item.content).hexdigest()
    history = json.loads(record.items[-1].content)
    assert history[1]["task_name"] == "拟稿" and history[0]["at"] == "2025-03-05T06:30:00+00:00"
    assert document.status == "archived"
    assert service.record_for_document(document.id) is record


def test_metadata_follows_da_t_46(app: Flask) -> None:
    document = make_issued(secrecy="秘密", secrecy_term="1年", keywords="开学")
    record = service.archive_document(
        document.id, actor_id=None, history=sample_history(document.drafter_id)
    )
    meta = record.meta
    assert meta["聚合层次"] == "件"
    assert meta["档号"]["档号"] == record.archive_code and meta["档号"]["门类代码"] == "WS"
    content = meta["内容描述"]
    assert content["题名"] == TITLE and content["文件编号"] == "江教发〔2025〕7号"
    assert content["责任者"] == "江城市教育局" and content["日期"] == "20250305"
    assert (content["密级"], content["保密期限"], content["紧急程度"]) == ("秘密", "1年", "加急")
    assert content["主送"] == "各县（市、区）教育局" and content["文种"] == "通知"
    assert meta["形式特征"]["页数"] == 3 and meta["形式特征"]["件数"] == 6
    assert [f["类型"] for f in meta["电子属性"]][:2] == ["发文稿纸", "正本（已用印）"]
    assert meta["电子属性"][1]["SHA256"] == record.items[1].sha256
    assert meta["业务实体"][1] == {
        "业务行为": "拟稿",
        "行为时间": "2025-03-05T06:30:00+00:00",
        "机构人员": "曹娜",
        "行为描述": "completed",
    }
    assert meta["保管期限依据"]["条目"] == "R06"


def test_archiving_is_audited(app: Flask) -> None:
    document = make_issued()
    record = service.archive_document(document.id, actor_id=document.drafter_id, history=[])
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "archive.file")).one()
    assert event.object_id == record.archive_code and event.user_id == document.drafter_id
    assert event.detail["manifest_sha256"] == record.meta["manifest_sha256"]
    assert len(event.detail["items"]) == 6


@pytest.mark.parametrize(
    ("titles_and_years", "expected"),
    [
        ([("关于开学工作的通知", 2025)] * 3, ["0001", "0002", "0003"]),
        ([("关于开学工作的通知", 2025), ("关于开学工作的通知", 2026)], ["0001", "0001"]),
        ([("关于开学工作的通知", 2025), ("关于表彰先进的决定", 2025)], ["0001", "0001"]),
        (
            [("关于开学工作的通知", 2025), ("关于表彰先进的决定", 2025), ("关于防汛的通知", 2025)],
            ["0001", "0001", "0002"],
        ),
    ],
)
def test_item_numbers_per_year_and_retention(
    app: Flask, titles_and_years: list[tuple[str, int]], expected: list[str]
) -> None:
    codes = []
    for title, year in titles_and_years:
        doc_type = "决定" if title.endswith("决定") else "通知"
        document = make_issued(title, issued_date=date(year, 6, 1), doc_type=doc_type)
        codes.append(service.archive_document(document.id, actor_id=None, history=[]).archive_code)
    assert [c.rsplit("-", 1)[1] for c in codes] == expected
    years = [int(c.split("·")[1][:4]) for c in codes]
    assert years == [y for _, y in titles_and_years]


def test_configured_table_decides_codes(
    app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    table = {
        "fonds_code": "Z109",
        "org_codes": {"default": "ZHK"},
        "default_retention": "Y",
        "rules": [],
    }
    path = tmp_path / "table.json"
    path.write_text(json.dumps(table), encoding="utf-8")
    installed = dataclasses.replace(config.current_settings(), archive_retention_file=path)
    monkeypatch.setattr(config, "_installed", installed)
    document = make_issued()
    record = service.archive_document(document.id, actor_id=None, history=[])
    assert record.archive_code == "Z109-WS·2025-Y-ZHK-0001"


@pytest.mark.parametrize(
    ("setup", "error", "words"),
    [
        ("draft", ValidationFailed, "尚未印发"),
        ("unsealed", ValidationFailed, "尚未印发"),
        ("no_sheet", ValidationFailed, "尚未生成发文稿纸"),
        ("no_final", ValidationFailed, "尚未确定定稿"),
        ("twice", Conflict, "已归档"),
    ],
)
def test_refusals(app: Flask, setup: str, error: type[Exception], words: str) -> None:
    if setup == "draft":
        document = make_outgoing()
    else:
        document = make_issued(
            sealed=setup != "unsealed", sheet=setup != "no_sheet", final=setup != "no_final"
        )
    if setup == "twice":
        service.archive_document(document.id, actor_id=None, history=[])
    with pytest.raises(error, match=words):
        service.archive_document(document.id, actor_id=None, history=[])
    assert db.session.scalars(select(ArchiveRecord)).all() == (
        [] if setup != "twice" else [service.record_for_document(document.id)]
    )


def test_unknown_document(app: Flask) -> None:
    with pytest.raises(NotFound):
        service.archive_document(99999, actor_id=None, history=[])


def test_refused_archiving_takes_no_number(app: Flask) -> None:
    refused = make_issued(final=False)
    with pytest.raises(ValidationFailed):
        service.archive_document(refused.id, actor_id=None, history=[])
    document = make_issued()
    assert service.archive_document(document.id, actor_id=None, history=[]).item_no == 1


@pytest.mark.parametrize("change", ["title", "item", "delete_record", "delete_item"])
def test_records_are_immutable(app: Flask, change: str) -> None:
    document = make_issued()
    record = service.archive_document(document.id, actor_id=None, history=[])
    db.session.commit()
    if change == "title":
        record.title = "改过的题名"
    elif change == "item":
        record.items[0].content = b"forged"
    elif change == "delete_record":
        db.session.delete(record)
    else:
        db.session.delete(record.items[0])
    with pytest.raises(Conflict, match="不可修改或删除"):
        db.session.flush()
    db.session.rollback()
    assert service.verify_record(record.id).ok


def test_verify_record_intact(app: Flask) -> None:
    document = make_issued()
    record = service.archive_document(document.id, actor_id=None, history=sample_history())
    db.session.commit()
    check = service.verify_record(record.id)
    assert check.ok and check.items == 6 and check.archive_code == record.archive_code


def test_verify_detects_changed_bytes(app: Flask) -> None:
    document = make_issued()
    record = service.archive_document(document.id, actor_id=None, history=[])
    db.session.commit()
    item_id = record.items[1].id
    db.session.execute(
        text("UPDATE archive_item SET content = :c WHERE id = :i"),
        {"c": b"%PDF-forged", "i": item_id},
    )
    db.session.commit()
    check = service.verify_record(record.id)
    assert not check.ok
    assert check.problems == ["第 2 项“正本.pdf”的内容与归档时的摘要不符"]


def test_verify_detects_bytes_changed_with_their_hash(app: Flask) -> None:
    document = make_issued()
    record = service.archive_document(document.id, actor_id=None, history=[])
    db.session.commit()
    forged = b"%PDF-forged"
    db.session.execute(
        text("UPDATE archive_item SET content = :c, sha256 = :h, size = :s WHERE id = :i"),
        {
            "c": forged,
            "h": hashlib.sha256(forged).hexdigest(),
            "s": len(forged),
            "i": record.items[1].id,
        },
    )
    db.session.commit()
    problems = service.verify_record(record.id).problems
    assert "件内文件清单与归档时记录的不一致" in problems
    assert "件内文件清单与审计日志中的归档记录不一致" in problems


def test_verify_unknown_record(app: Flask) -> None:
    with pytest.raises(NotFound):
        service.verify_record(424242)


def test_source_files_stay_with_the_document(app: Flask) -> None:
    document = make_issued()
    service.archive_document(document.id, actor_id=None, history=[])
    kinds = db.session.scalars(
        select(DocumentFile.kind).where(DocumentFile.document_id == document.id)
    ).all()
    assert sorted(kinds).count("attachment") == 2
    assert db.session.scalars(select(ArchiveItem)).all()
