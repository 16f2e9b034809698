"""Form loading and server-side validation of submissions, with Chinese messages per field."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from engine import forms
from services.errors import NotFound, ValidationFailed

GOOD_APPLY = {"leave_type": "事假", "start_date": "2025-03-10", "days": 2, "reason": "家中有事"}


def test_sample_forms_load() -> None:
    apply = forms.load_form("qingjia_apply")
    assert apply.title == "请假申请"
    assert apply.schema["required"] == ["leave_type", "start_date", "days", "reason"]
    assert apply.ui["order"][0] == "leave_type"
    assert forms.form_exists("qingjia_approve")


def test_valid_submission_has_no_errors() -> None:
    assert forms.validate_submission("qingjia_apply", GOOD_APPLY) == {}


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"days": "3"}, "days", "请假天数应为整数"),
        ({"days": 0}, "days", "请假天数不能小于 1"),
        ({"reason": "长" * 501}, "reason", "请假事由不能超过 500 个字符"),
        ({"reason": ""}, "reason", "请假事由不能为空"),
        (
            {"leave_type": "旅游假"},
            "leave_type",
            "请假类型只能是以下之一：年休假、事假、病假、婚假、产假、丧假",
        ),
        ({"start_date": "2025-13-40"}, "start_date", "开始日期格式不正确（应为 日期 YYYY-MM-DD）"),
        ({"hack": 1}, "hack", "hack 不是表单中的字段"),
    ],
)
def test_invalid_submission_messages(change: dict[str, Any], field: str, message: str) -> None:
    assert forms.validate_submission("qingjia_apply", {**GOOD_APPLY, **change}) == {field: message}


def test_missing_required_fields_are_named() -> None:
    assert forms.validate_submission("qingjia_approve", {}) == {"approved": "审批结果为必填项"}


def test_generic_form_for_tasks_without_form_key() -> None:
    assert forms.load_form(None).key == forms.GENERIC_FORM_KEY
    assert forms.validate_submission(None, {"comment": "同意"}) == {}
    assert forms.validate_submission(None, {"comment": 1}) == {"comment": "意见应为文本"}


@pytest.mark.parametrize("key", ["../secret", "Qingjia", "a/b", "", "x" * 80])
def test_form_keys_cannot_be_paths(key: str) -> None:
    assert not forms.form_exists(key)
    if key:
        with pytest.raises(ValidationFailed, match="表单标识"):
            forms.form_path(key)


def write_form(directory: Path, key: str, document: object) -> None:
    text = document if isinstance(document, str) else json.dumps(document, ensure_ascii=False)
    (directory / f"{key}.json").write_text(text, encoding="utf-8")


@pytest.mark.parametrize(
    ("document", "fragment"),
    [
        ("{not json", "不是合法的 JSON"),
        ({"title": "无结构"}, "缺少 schema 对象"),
        (
            {"schema": {"type": "object", "properties": {"a": {"type": "txt"}}}},
            "不是合法的 JSON Schema",
        ),
        ({"schema": {"type": "array"}}, 'type 必须是 "object"'),
    ],
)
def test_broken_forms_are_reported(tmp_path: Path, document: object, fragment: str) -> None:
    write_form(tmp_path, "broken", document)
    with forms.use_forms_dir(tmp_path):
        assert fragment in (forms.check_form("broken") or "")
        with pytest.raises(ValidationFailed):
            forms.load_form("broken")


def test_missing_form_is_not_found(tmp_path: Path) -> None:
    with forms.use_forms_dir(tmp_path), pytest.raises(NotFound, match="表单 gone 不存在"):
        forms.load_form("gone")


def test_edited_form_is_reloaded(tmp_path: Path) -> None:
    write_form(tmp_path, "f", {"title": "一", "schema": {"type": "object"}})
    with forms.use_forms_dir(tmp_path):
        assert forms.load_form("f").title == "一"
        write_form(tmp_path, "f", {"title": "二版", "schema": {"type": "object"}})
        assert forms.load_form("f").title == "二版"
