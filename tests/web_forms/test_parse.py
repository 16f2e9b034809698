"""Submissions: strings become the schema's types, bad input gets Chinese messages, the raw
input is kept, read-only fields and earlier opinions cannot be changed from the request."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.datastructures import FileStorage, MultiDict

from engine.forms import load_form, use_forms_dir
from services.clock import FrozenClock
from services.files import signatures
from tests.files.helpers import PDF, signature_image
from tests.web_forms.conftest import FormOrg
from tests.web_forms.helpers import (
    browser_submission,
    document,
    render_html,
    sample,
    write_form,
)
from web.forms.parse import OpinionAuthor, author_of, parse_submission

EARLIER_OPINION = {
    "text": "请办公室拟办。",
    "user_id": 1,
    "user_name": "王局长",
    "position": "单位负责人",
    "unit": "市教育局",
    "time": "2025-03-01T01:00:00+00:00",
    "signature": "1",
}


def stored_data(org: FormOrg) -> dict[str, Any]:
    """Data as an earlier step stored it, using every widget of the sample form."""
    return {
        "serial_no": "江教收〔2025〕18号",
        "title": "关于做好2025年防汛工作的通知",
        "summary": "要求各单位落实防汛责任",
        "doc_kind": "通知",
        "urgency": "加急",
        "copies": 3,
        "amount": 12.5,
        "due_date": "2025-03-10",
        "meeting_at": "2025-03-03T02:00:00+00:00",
        "public": True,
        "needs_funding": True,
        "funding": {"source": "自筹", "budget_note": "年度预算内列支"},
        "topics": ["教育", "交通"],
        "items": [{"name": "正文", "pages": 3, "kind": "正文"}, {"name": "附表", "pages": 1}],
        "attachments": [
            {
                "filename": "通知.pdf",
                "size": 4,
                "sha256": "0" * 64,
                "content_type": "application/pdf",
            }
        ],
        "body": "<p>各单位：</p><ol><li>落实责任</li></ol>",
        "handler": org.clerk.id,
        "copy_units": [org.bureau.id, org.town.id],
        "department": org.office.id,
        "opinions": [EARLIER_OPINION],
    }


def valid_post(org: FormOrg, **changes: str) -> MultiDict[str, str]:
    """What the browser posts for the stored data, with ``changes`` typed over it."""
    post = browser_submission(render_html(sample(), previous=stored_data(org)))
    for name, value in changes.items():
        post.setlist(name, [value])
    return post


def test_round_trip_gives_back_the_stored_data(org: FormOrg) -> None:
    data = stored_data(org)
    post = browser_submission(render_html(sample(), previous=data))
    submission = parse_submission(sample(), post, previous=data)
    assert submission.errors == {}
    assert submission.data == data


def test_blank_form_submits_every_required_field_as_missing(org: FormOrg) -> None:
    post = browser_submission(render_html(sample(), previous={}))
    submission = parse_submission(sample(), post, previous={})
    assert submission.errors == {
        "title": "标题为必填项",
        "doc_kind": "文种为必填项",
        "urgency": "紧急程度为必填项",
        "copies": "份数为必填项",
        "due_date": "办结期限为必填项",
        "handler": "承办人为必填项",
        "items": "附件清单为必填项",
    }


@pytest.mark.parametrize(
    ("name", "typed", "message"),
    [
        ("copies", "abc", "份数应为整数"),
        ("copies", "1.5", "份数应为整数"),
        ("copies", "0", "份数不能小于 1"),
        ("amount", "十二", "涉及金额（万元）应为数字"),
        ("amount", "nan", "涉及金额（万元）应为数字"),
        ("due_date", "2025-13-45", "办结期限格式不正确（应为 日期 YYYY-MM-DD）"),
        ("meeting_at", "明天上午", "会议时间格式不正确（应为日期时间）"),
        ("doc_kind", "命令", "文种只能是以下之一：通知、请示、报告、函"),
        ("urgency", "", "紧急程度为必填项"),
        ("title", "标" * 101, "标题不能超过 100 个字符"),
        ("body", "<p>" + "字" * 20000 + "</p>", "正文不能超过 20000 个字符"),
        ("opinions", "意" * 1001, "拟办意见不能超过 1000 个字符"),
        ("handler", "999999", "承办人：所选人员不存在或已停用"),
        ("copy_units", "abc", "抄送单位：所选单位不存在或已停用"),
        ("items.0.pages", "三页", "页数应为整数"),
        ("items.1.name", "", "名称为必填项"),
    ],
)
def test_bad_input_gets_a_chinese_message_and_is_kept(
    org: FormOrg, name: str, typed: str, message: str
) -> None:
    data = stored_data(org)
    submission = parse_submission(
        sample(), valid_post(org, **{name: typed}), previous=data, author=author_of(org.clerk)
    )
    assert submission.errors == {name: message}
    kept = submission.raw[name]
    assert (kept[0] if isinstance(kept, list) else kept) == typed


@pytest.mark.parametrize("value", ["篡改的编号", ""])
def test_read_only_field_cannot_be_changed_by_the_request(org: FormOrg, value: str) -> None:
    data = stored_data(org)
    submission = parse_submission(sample(), valid_post(org, serial_no=value), previous=data)
    assert submission.ok
    assert submission.data["serial_no"] == "江教收〔2025〕18号"


def test_read_only_field_is_not_created_from_the_request(org: FormOrg) -> None:
    data = stored_data(org)
    del data["serial_no"]
    submission = parse_submission(sample(), valid_post(org, serial_no="伪造"), previous=data)
    assert "serial_no" not in submission.data


def test_opinion_appends_a_signed_entry(org: FormOrg, frozen_clock: FrozenClock) -> None:
    frozen_clock.advance(minutes=30)
    signature = signatures.set_signature(org.director.id, signature_image())
    author = author_of(org.director)
    post = valid_post(org, opinions="  拟同意，请张科员办理。 ")
    post.add("opinions.0.text", "篡改前人的意见")  # earlier opinions are never read from the post
    submission = parse_submission(sample(), post, previous=stored_data(org), author=author)
    assert submission.errors == {}
    assert submission.data["opinions"] == [
        EARLIER_OPINION,
        {
            "text": "拟同意，请张科员办理。",
            "user_id": org.director.id,
            "user_name": "陈主任",
            "position": "办公室主任",
            "unit": "市教育局",
            "time": "2025-03-03T01:30:00+00:00",
            "signature": str(signature.id),
        },
    ]


def test_opinion_needs_an_author(org: FormOrg) -> None:
    submission = parse_submission(
        sample(), valid_post(org, opinions="同意"), previous=stored_data(org), author=None
    )
    assert submission.errors == {"opinions": "拟办意见需要签名人，请先登录"}


def test_required_opinion_must_be_written_now(app: Flask, tmp_path: Path) -> None:
    item = {"type": "object", "properties": {"text": {"type": "string"}}}
    opinion = {"type": "array", "title": "审批意见", "items": item}
    schema = {"required": ["opinion"], "properties": {"opinion": opinion}}
    write_form(tmp_path, "approve", schema, {"opinion": {"widget": "opinion"}})
    author = OpinionAuthor(5, "李副局长", "副职", "市教育局")
    previous = {"opinion": [EARLIER_OPINION]}
    with use_forms_dir(tmp_path):
        spec = load_form("approve")
        missing = parse_submission(spec, MultiDict(), previous=previous, author=author)
        written = parse_submission(spec, MultiDict({"opinion": "同意"}), previous=previous)
    assert missing.errors == {"opinion": "请填写审批意见"}  # earlier opinions do not count
    assert written.errors == {"opinion": "审批意见需要签名人，请先登录"}


def test_hidden_section_is_dropped_and_not_checked(org: FormOrg) -> None:
    post = valid_post(org, **{"funding.budget_note": "超" * 201})
    post.setlist("needs_funding", [])
    submission = parse_submission(sample(), post, previous=stored_data(org))
    assert submission.errors == {}
    assert submission.data["needs_funding"] is False
    assert "funding" not in submission.data


def test_shown_section_is_checked(org: FormOrg) -> None:
    post = valid_post(org, **{"funding.budget_note": "超" * 201})
    submission = parse_submission(sample(), post, previous=stored_data(org))
    assert submission.errors == {"funding.budget_note": "预算说明不能超过 200 个字符"}


def test_blank_table_rows_are_dropped_and_rows_renumbered(org: FormOrg) -> None:
    post = valid_post(org)
    for key in [k for k in post if k.startswith("items.")]:
        post.pop(key)
    post.update({"items.3.name": "附件二", "items.3.pages": "x", "items.7.name": "附件三"})
    post.update({"items.7.pages": "2", "items.5.name": " ", "items.5.kind": ""})
    submission = parse_submission(sample(), post, previous=stored_data(org))
    assert submission.errors == {"items.0.pages": "页数应为整数"}
    assert submission.data["items"] == [{"name": "附件二"}, {"name": "附件三", "pages": 2}]
    assert submission.raw["items"] == 2
    assert submission.raw["items.0.pages"] == "x"


def _upload(name: str, content: bytes, mimetype: str = "application/pdf") -> FileStorage:
    return FileStorage(io.BytesIO(content), filename=name, content_type=mimetype)


def test_upload_becomes_metadata(org: FormOrg) -> None:
    content = PDF
    files = MultiDict([("attachments", _upload("C:\\公文\\请示.PDF", content))])
    submission = parse_submission(sample(), valid_post(org), files, previous=stored_data(org))
    assert submission.errors == {}
    assert submission.data["attachments"] == [
        {
            "filename": "请示.PDF",
            "size": len(content),
            "sha256": hashlib.sha256(content).hexdigest(),
            "content_type": "application/pdf",
        }
    ]


@pytest.mark.parametrize(
    ("name", "size", "message"),
    [
        ("大文件.pdf", 1024 * 1024 + 1, "上传附件：文件「大文件.pdf」超过 1 MB 的大小限制"),
        (
            "程序.exe",
            10,
            "上传附件：不允许上传「程序.exe」这种类型的文件（允许：.pdf、.docx、.ofd）",
        ),
    ],
)
def test_upload_over_limit_or_of_forbidden_type_is_refused(
    org: FormOrg, name: str, size: int, message: str
) -> None:
    files = MultiDict([("attachments", _upload(name, b"x" * size))])
    submission = parse_submission(sample(), valid_post(org), files, previous=stored_data(org))
    assert submission.errors == {"attachments": message}
    assert "attachments" not in submission.data


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("<p>各单位：<script>alert(1)</script></p>", "<p>各单位：</p>"),
        ('<p onclick="x()">通知</p>', "<p>通知</p>"),
        ('<a href="javascript:alert(1)">详见</a>', '<a rel="noopener noreferrer">详见</a>'),
        ("<script>alert(1)</script>", None),  # nothing left: the field counts as empty
    ],
)
def test_rich_text_is_stored_sanitised(org: FormOrg, typed: str, stored: str | None) -> None:
    submission = parse_submission(sample(), valid_post(org, body=typed), previous=stored_data(org))
    assert submission.errors == {}
    assert submission.data.get("body") == stored


def test_generic_form_takes_a_comment(app: Flask) -> None:
    spec = load_form(None)
    root = document(render_html(spec))
    assert root.xpath("//textarea[@name='comment'][@maxlength='2000']")
    submission = parse_submission(spec, MultiDict({"comment": " 已阅，同意。 "}))
    assert submission.ok and submission.data == {"comment": "已阅，同意。"}
    too_long = parse_submission(spec, MultiDict({"comment": "长" * 2001}))
    assert too_long.errors == {"comment": "意见不能超过 2000 个字符"}
