"""归档范围和保管期限表: the organ's own table that decides a 件's 保管期限, 全宗号 and 机构代码.

The table is a JSON file written by the archivist (``OA_ARCHIVE_RETENTION_FILE``, format in
docs/gongwen-records.md). It is read at every archiving, so edits need no restart; every problem
is reported in Chinese naming the entry at fault (``rules[2]（R03）``), never a traceback.
Rules are tried in order and the first that matches decides; ``default_retention`` covers the
rest.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from services.archive.models import RETENTIONS
from services.config import current_settings
from services.errors import ValidationFailed
from services.gongwen.exchange_models import CATEGORIES, RECEIPT_CLASSES
from services.gongwen.models import DIRECTIONS, DOC_TYPES

# 全宗号 and 机构代码 appear inside the 档号, so they must not contain its separators (- ·).
CODE_PATTERN = re.compile(r"^[A-Za-z0-9]{1,20}$")
# Archivists may write the direction in Chinese (发文) or as the stored key (out).
DIRECTION_WORDS = {
    **{label: key for key, label in DIRECTIONS.items()},
    **{k: k for k in DIRECTIONS},
}
TOP_KEYS = {"name", "fonds_code", "fonds_by_unit", "org_codes", "default_retention", "rules"}
ORG_KEYS = {"default", "by_unit", "by_department"}
CONDITIONS = "directions、doc_types、categories、receipt_classes 或 title_keywords"
RULE_KEYS = {
    "id",
    "description",
    "directions",
    "doc_types",
    "categories",
    "receipt_classes",
    "title_keywords",
    "retention",
}


class RetentionTableInvalid(ValidationFailed):
    """The 归档范围和保管期限表 cannot be used; the message names the bad entry."""


@dataclass(frozen=True)
class RetentionRule:
    """One row of the table: the conditions (all given ones must hold) and the 保管期限."""

    id: str
    description: str
    retention: str
    directions: tuple[str, ...] = ()
    doc_types: tuple[str, ...] = ()
    title_keywords: tuple[str, ...] = ()
    # 收文 categories (普发件, 请示 …) and classes (收报, 收抄, 收办): only a 收文 with one of
    # them matches.
    categories: tuple[str, ...] = ()
    receipt_classes: tuple[str, ...] = ()

    def matches(
        self, direction: str, doc_type: str, title: str, category: str = "", receipt_class: str = ""
    ) -> bool:
        """True when every condition this rule states holds (a keyword: any one of them)."""
        if self.directions and direction not in self.directions:
            return False
        if self.doc_types and doc_type not in self.doc_types:
            return False
        if self.categories and category not in self.categories:
            return False
        if self.receipt_classes and receipt_class not in self.receipt_classes:
            return False
        return not self.title_keywords or any(k in title for k in self.title_keywords)


@dataclass(frozen=True)
class RetentionDecision:
    """The 保管期限 chosen for a document and the rule that chose it (None: the default)."""

    retention: str
    rule_id: str | None


@dataclass(frozen=True)
class RetentionTable:
    """The parsed table; see :func:`parse_table`."""

    name: str
    fonds_code: str
    fonds_by_unit: dict[str, str]
    org_default: str
    org_by_unit: dict[str, str]
    org_by_department: dict[str, str]
    default_retention: str
    rules: tuple[RetentionRule, ...]

    def retention_for(
        self, direction: str, doc_type: str, title: str, category: str = "", receipt_class: str = ""
    ) -> RetentionDecision:
        """The first matching rule's 保管期限, else the table's default (``category`` and
        ``receipt_class``: those of a 收文, empty for 发文 and 签报)."""
        for rule in self.rules:
            if rule.matches(direction, doc_type, title, category, receipt_class):
                return RetentionDecision(rule.retention, rule.id)
        return RetentionDecision(self.default_retention, None)

    def fonds_for(self, unit_code: str) -> str:
        """The 全宗号 of a unit (立档单位): its own entry, else the table's ``fonds_code``."""
        return self.fonds_by_unit.get(unit_code, self.fonds_code)

    def org_code_for(self, unit_code: str, department: str | None) -> str:
        """The 机构代码: by the drafting department's name, else by unit code, else default."""
        if department and department in self.org_by_department:
            return self.org_by_department[department]
        return self.org_by_unit.get(unit_code, self.org_default)


def load_table(path: Path | None = None) -> RetentionTable:
    """Read and check the table at ``path`` (default: the configured file)."""
    path = path or current_settings().archive_retention_file
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise _invalid("file", f"无法读取文件 {path}") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        where = f"第 {exc.lineno} 行第 {exc.colno} 列"
        raise _invalid("file", f"不是有效的 JSON（{where}）") from exc
    return parse_table(data)


def parse_table(data: Any) -> RetentionTable:
    """Check ``data`` (the decoded JSON) and build the table, or raise
    :class:`RetentionTableInvalid` naming the first bad entry."""
    if not isinstance(data, dict):
        raise _invalid("file", "最外层应为一个对象（{ ... }）")
    _no_unknown(data, TOP_KEYS, "")
    org = data.get("org_codes")
    if not isinstance(org, dict):
        raise _invalid("org_codes", "缺少 org_codes（机构代码），至少要写 default")
    _no_unknown(org, ORG_KEYS, "org_codes.")
    rules = data.get("rules")
    if not isinstance(rules, list):
        raise _invalid("rules", "缺少 rules（归档范围条目列表）")
    parsed = tuple(_rule(entry, index) for index, entry in enumerate(rules))
    _unique_ids(parsed)
    return RetentionTable(
        name=_string(data.get("name", "归档范围和保管期限表"), "name"),
        fonds_code=_code(data.get("fonds_code"), "fonds_code", "全宗号"),
        fonds_by_unit=_code_map(data.get("fonds_by_unit", {}), "fonds_by_unit", "全宗号"),
        org_default=_code(org.get("default"), "org_codes.default", "机构代码"),
        org_by_unit=_code_map(org.get("by_unit", {}), "org_codes.by_unit", "机构代码"),
        org_by_department=_code_map(
            org.get("by_department", {}), "org_codes.by_department", "机构代码"
        ),
        default_retention=_retention(data.get("default_retention"), "default_retention"),
        rules=parsed,
    )


def _rule(entry: Any, index: int) -> RetentionRule:
    where = f"rules[{index}]"
    if not isinstance(entry, dict):
        raise _invalid(where, "应为一个对象")
    rule_id = entry.get("id")
    if not isinstance(rule_id, str) or not rule_id.strip():
        raise _invalid(where, "缺少条目编号 id")
    where = f"{where}（{rule_id}）"
    _no_unknown(entry, RULE_KEYS, where + ".")
    directions = tuple(_direction(d, where) for d in _list(entry, "directions", where))
    doc_types = _list(entry, "doc_types", where)
    for doc_type in doc_types:
        if doc_type not in DOC_TYPES:
            raise _invalid(f"{where}.doc_types", f"“{doc_type}”不是《条例》规定的 15 种文种之一")
    categories = _choices(entry, "categories", where, CATEGORIES)
    classes = _choices(entry, "receipt_classes", where, RECEIPT_CLASSES)
    keywords = _list(entry, "title_keywords", where)
    if not (directions or doc_types or categories or classes or keywords):
        raise _invalid(where, f"至少要写一个条件（{CONDITIONS}）")
    return RetentionRule(
        id=rule_id.strip(),
        description=_string(entry.get("description", ""), f"{where}.description"),
        retention=_retention(entry.get("retention"), f"{where}.retention"),
        directions=directions,
        doc_types=doc_types,
        title_keywords=keywords,
        categories=categories,
        receipt_classes=classes,
    )


def _choices(
    entry: dict[str, Any], key: str, where: str, allowed: tuple[str, ...]
) -> tuple[str, ...]:
    values = _list(entry, key, where)
    for value in values:
        if value not in allowed:
            raise _invalid(f"{where}.{key}", f"“{value}”无效，应为 {'、'.join(allowed)} 之一")
    return values


def _list(entry: dict[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = entry.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise _invalid(f"{where}.{key}", '应为非空文字组成的列表，如 ["通知", "决定"]')
    return tuple(v.strip() for v in value)


def _direction(word: str, where: str) -> str:
    if word not in DIRECTION_WORDS:
        raise _invalid(f"{where}.directions", f"“{word}”无效，应为发文、收文或签报")
    return DIRECTION_WORDS[word]


def _retention(value: Any, where: str) -> str:
    if value not in RETENTIONS:
        allowed = "、".join(f"{k}（{v}）" for k, v in RETENTIONS.items())
        raise _invalid(where, f"保管期限“{value}”无效，应为 {allowed}")
    return str(value)


def _code(value: Any, where: str, label: str) -> str:
    if not isinstance(value, str) or not CODE_PATTERN.match(value):
        raise _invalid(where, f"{label}“{value}”无效：应为 1～20 位字母或数字，不含 - 或 ·")
    return value


def _code_map(value: Any, where: str, label: str) -> dict[str, str]:
    if not isinstance(value, dict):
        raise _invalid(where, '应为对象，如 {"名称": "代码"}')
    return {str(k): _code(v, f"{where}.{k}", label) for k, v in value.items()}


def _string(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise _invalid(where, "应为文字")
    return value


def _no_unknown(entry: dict[str, Any], known: set[str], prefix: str) -> None:
    # A mistyped key (doctype) would silently widen a rule, so it is refused instead.
    for key in entry:
        if key not in known:
            raise _invalid(
                f"{prefix}{key}", f"不认识的项“{key}”，可用的有：{'、'.join(sorted(known))}"
            )


def _unique_ids(rules: tuple[RetentionRule, ...]) -> None:
    seen: set[str] = set()
    for index, rule in enumerate(rules):
        if rule.id in seen:
            raise _invalid(f"rules[{index}]（{rule.id}）", f"条目编号“{rule.id}”重复")
        seen.add(rule.id)


def _invalid(where: str, problem: str) -> RetentionTableInvalid:
    message = f"归档范围和保管期限表有误：{where}：{problem}"
    return RetentionTableInvalid(message, errors={where: problem})
