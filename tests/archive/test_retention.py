"""归档范围和保管期限表: the shipped example loads, rules decide in order, errors name the entry."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from services.archive import retention
from services.archive.retention import RetentionTableInvalid, load_table, parse_table

VALID: dict[str, Any] = {
    "name": "测试表",
    "fonds_code": "J001",
    "fonds_by_unit": {"jyj": "J021"},
    "org_codes": {"default": "BGS", "by_unit": {"czj": "CZ"}, "by_department": {"人事科": "RSK"}},
    "default_retention": "D10",
    "rules": [
        {"id": "A", "directions": ["发文"], "doc_types": ["决定"], "retention": "Y"},
        {"id": "B", "title_keywords": ["会议"], "retention": "D10"},
        {"id": "C", "directions": ["out"], "doc_types": ["通知"], "retention": "D30"},
    ],
}


@pytest.mark.parametrize(
    ("direction", "doc_type", "title", "expected", "rule"),
    [
        ("out", "决定", "关于表彰2024年度教育工作先进集体的决定", "Y", "R01"),
        ("out", "通知", "关于印发《江城市中小学课后服务管理办法》的通知", "Y", "R02"),
        ("in", "批复", "市政府关于同意调整学区划分的批复", "Y", "R03"),
        ("out", "通知", "关于召开2025年全市教育工作会议的通知", "D10", "R04"),
        ("out", "纪要", "局党组会议纪要（2025年第3次）", "Y", "R05"),
        ("out", "通知", "关于做好2025年春季学期开学工作的通知", "D30", "R06"),
        ("internal", "意见", "关于购置教学设备的签报", "D30", "R07"),
        ("out", "函", "关于商请协助开展学生体检的函", "D10", "R08"),
        ("in", "通知", "关于贯彻落实全省教育大会精神的通知", "D30", "R09"),
        ("in", "通知", "关于转发防汛工作要点的通知", "D10", None),
    ],
)
def test_shipped_table_decides(
    app: Flask, direction: str, doc_type: str, title: str, expected: str, rule: str | None
) -> None:
    decision = load_table().retention_for(direction, doc_type, title)
    assert (decision.retention, decision.rule_id) == (expected, rule)


def test_shipped_table_codes(app: Flask) -> None:
    table = load_table()
    assert table.fonds_for("jyj") == "J021"
    assert table.fonds_for("unknown-unit") == "J001"
    assert table.org_code_for("jyj", "基础教育科") == "JJK"
    assert table.org_code_for("jyj", "没有配置的科室") == "BGS"


def test_first_matching_rule_wins_and_codes_fall_back() -> None:
    table = parse_table(VALID)
    assert table.retention_for("out", "决定", "关于召开会议的决定").rule_id == "A"
    assert table.retention_for("out", "通知", "关于召开会议的通知").rule_id == "B"
    assert table.retention_for("in", "通知", "关于开学的通知").retention == "D10"
    assert table.org_code_for("czj", None) == "CZ"
    assert table.org_code_for("czj", "人事科") == "RSK"
    assert table.org_code_for("other", None) == "BGS"


def _broken(path: str, value: Any) -> dict[str, Any]:
    """VALID with the entry at dotted ``path`` set to ``value`` (a ``-`` value deletes it)."""
    data = copy.deepcopy(VALID)
    *parents, last = path.split(".")
    target: Any = data
    for key in parents:
        target = target[int(key)] if isinstance(target, list) else target[key]
    if value == "-":
        del target[last]
    elif isinstance(target, list):
        target[int(last)] = value
    else:
        target[last] = value
    return data


@pytest.mark.parametrize(
    ("path", "value", "where", "words"),
    [
        ("rules.1.retention", "D20", "rules[1]（B）.retention", "保管期限“D20”无效"),
        ("rules.0.doc_types", ["通知书"], "rules[0]（A）.doc_types", "“通知书”不是"),
        ("rules.0.directions", ["上行"], "rules[0]（A）.directions", "应为发文、收文或签报"),
        ("rules.2.doctype", ["通知"], "rules[2]（C）.doctype", "不认识的项“doctype”"),
        ("rules.1.title_keywords", "会议", "rules[1]（B）.title_keywords", "列表"),
        ("rules.1.id", "A", "rules[1]（A）", "条目编号“A”重复"),
        ("rules.2", {"id": "D", "retention": "Y"}, "rules[2]（D）", "至少要写一个条件"),
        ("rules.0.id", "-", "rules[0]", "缺少条目编号"),
        ("fonds_code", "J-001", "fonds_code", "全宗号“J-001”无效"),
        ("org_codes.by_department.人事科", "人事", "org_codes.by_department.人事科", "机构代码"),
        ("org_codes", "-", "org_codes", "缺少 org_codes"),
        ("default_retention", "-", "default_retention", "保管期限“None”无效"),
        ("rules", {}, "rules", "缺少 rules"),
    ],
)
def test_bad_entries_are_named(path: str, value: Any, where: str, words: str) -> None:
    with pytest.raises(RetentionTableInvalid) as caught:
        parse_table(_broken(path, value))
    assert caught.value.errors.keys() == {where}
    assert words in caught.value.message
    assert caught.value.message.startswith("归档范围和保管期限表有误：" + where)


@pytest.mark.parametrize(
    ("content", "words"),
    [('{\n  "name": ,\n}', "不是有效的 JSON（第 2 行"), ("[1, 2]", "最外层应为一个对象")],
)
def test_bad_files(tmp_path: Path, content: str, words: str) -> None:
    path = tmp_path / "table.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(RetentionTableInvalid, match=words):
        load_table(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(RetentionTableInvalid, match="无法读取文件"):
        load_table(tmp_path / "none.json")


def test_valid_file_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "table.json"
    path.write_text(json.dumps(VALID, ensure_ascii=False), encoding="utf-8")
    table = load_table(path)
    assert [r.id for r in table.rules] == ["A", "B", "C"]
    assert table.rules[2].directions == ("out",)
    assert retention.DIRECTION_WORDS["签报"] == "internal"


@pytest.mark.parametrize(
    ("title", "category", "receipt_class", "expected", "rule"),
    [
        ("关于转发防汛工作要点的通知", "普发件", "收办", "D30", "R10"),
        ("关于报送半年工作情况的报告", "报告", "收报", "D30", "R10"),
        ("关于转发防汛工作要点的通知", "普发件", "收抄", "D10", "R11"),
        ("关于商请提供数据的函", "函件", "", "D30", "R12"),
        ("关于转发防汛工作要点的通知", "普发件", "", "D10", "R13"),
        ("关于召开全市防汛工作会议的通知", "普发件", "收办", "D10", "R04"),
    ],
)
def test_shipped_table_decides_shouwen_by_class_and_category(
    app: Flask, title: str, category: str, receipt_class: str, expected: str, rule: str
) -> None:
    decision = load_table().retention_for("in", "通知", title, category, receipt_class)
    assert (decision.retention, decision.rule_id) == (expected, rule)


@pytest.mark.parametrize(
    ("key", "value", "words"),
    [("categories", ["普发"], "“普发”无效"), ("receipt_classes", ["收发"], "“收发”无效")],
)
def test_bad_shouwen_conditions_are_named(key: str, value: list[str], words: str) -> None:
    data = copy.deepcopy(VALID)
    data["rules"].append({"id": "E", key: value, "retention": "D10"})
    with pytest.raises(RetentionTableInvalid, match=f"rules\\[3\\]（E）.{key}：{words}"):
        parse_table(data)
