"""User-task forms: ``forms/<formKey>.json`` = {"title", "schema" (JSON Schema 2020-12), "ui"}.

A user task names its form with the ``formKey`` property. Submissions are always validated on
the server with the same schema the page was rendered from; errors come back per field, in
Chinese, using the field's ``title``. A task without ``formKey`` uses the generic form (an
opinion box), so processes drawn in other modelers still run.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, SchemaError, ValidationError

from services.config import PROJECT_ROOT
from services.errors import NotFound, ValidationFailed

FORM_KEY = re.compile(r"^[a-z][a-z0-9_\-]{0,63}$")
GENERIC_FORM_KEY = "_generic"
_forms_dir: Path = PROJECT_ROOT / "forms"

GENERIC_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"comment": {"type": "string", "title": "意见", "maxLength": 2000}},
}


@dataclass(frozen=True)
class FormSpec:
    """A loaded form: what the web layer renders and what submissions are checked against."""

    key: str
    title: str
    schema: dict[str, Any]
    ui: dict[str, Any] = field(default_factory=dict)


def forms_dir() -> Path:
    """Where forms are read from."""
    return _forms_dir


@contextlib.contextmanager
def use_forms_dir(path: Path) -> Iterator[Path]:
    """Read forms from ``path`` for the duration of the block (tests, previews)."""
    global _forms_dir
    previous = _forms_dir
    _forms_dir = path
    try:
        yield path
    finally:
        _forms_dir = previous


def form_path(key: str) -> Path:
    """The file of form ``key``; refuses keys that are not plain names (no paths)."""
    if not FORM_KEY.match(key):
        raise ValidationFailed(
            f"表单标识 {key!r} 不合法：只能使用小写字母、数字、下划线和连字符，且以字母开头"
        )
    return _forms_dir / f"{key}.json"


def form_exists(key: str) -> bool:
    """True when ``forms/<key>.json`` exists (the key itself must be well-formed)."""
    try:
        return form_path(key).is_file()
    except ValidationFailed:
        return False


def load_form(key: str | None) -> FormSpec:
    """Load and check a form; None or empty gives the generic opinion form."""
    if not key:
        return FormSpec(GENERIC_FORM_KEY, "办理意见", GENERIC_SCHEMA)
    path = form_path(key)
    if not path.is_file():
        raise NotFound(f"表单 {key} 不存在（应位于 forms/{key}.json）")
    return _load_file(str(path), path.stat().st_mtime_ns, key)


@lru_cache(maxsize=256)
def _load_file(path: str, _mtime: int, key: str) -> FormSpec:
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValidationFailed(f"表单 {key} 不是合法的 JSON：{exc}") from exc
    problem = form_problem(raw)
    if problem:
        raise ValidationFailed(f"表单 {key} 无效：{problem}")
    return FormSpec(key, raw.get("title") or key, raw["schema"], raw.get("ui") or {})


def form_problem(raw: Any) -> str | None:
    """Why a form document is unusable (Chinese), or None."""
    if not isinstance(raw, dict) or not isinstance(raw.get("schema"), dict):
        return "缺少 schema 对象"
    schema = raw["schema"]
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        where = "/".join(str(p) for p in exc.path) or "根"
        return f"schema 不是合法的 JSON Schema（位置 {where}：{exc.message}）"
    if schema.get("type") != "object":
        return 'schema 的 type 必须是 "object"'
    return None


def check_form(key: str) -> str | None:
    """Deploy-time check of a form key: a Chinese problem, or None when it loads."""
    try:
        load_form(key)
    except (NotFound, ValidationFailed) as exc:
        return exc.message
    return None


def validate_submission(key: str | None, data: dict[str, Any]) -> dict[str, str]:
    """Check submitted data against the form; returns {field: Chinese message}, empty if valid."""
    form, validator = _form_validator(key)
    errors: dict[str, str] = {}
    for error in sorted(validator.iter_errors(data), key=lambda e: list(e.path)):
        for name, message in _describe(error, form.schema):
            errors.setdefault(name, message)
    return errors


def _form_validator(key: str | None) -> tuple[FormSpec, Draft202012Validator]:
    """The form and its validator, built once per form file version (as ``load_form``)."""
    if not key:
        return _generic_validator()
    path = form_path(key)
    if not path.is_file():
        raise NotFound(f"表单 {key} 不存在（应位于 forms/{key}.json）")
    return _file_validator(str(path), path.stat().st_mtime_ns, key)


@lru_cache(maxsize=1)
def _generic_validator() -> tuple[FormSpec, Draft202012Validator]:
    return _with_validator(load_form(None))


@lru_cache(maxsize=256)
def _file_validator(path: str, mtime: int, key: str) -> tuple[FormSpec, Draft202012Validator]:
    return _with_validator(_load_file(path, mtime, key))


def _with_validator(form: FormSpec) -> tuple[FormSpec, Draft202012Validator]:
    # A validator keeps no state between iter_errors calls: one per form is safe to share.
    checker = Draft202012Validator.FORMAT_CHECKER
    return form, Draft202012Validator(form.schema, format_checker=checker)


def _describe(error: ValidationError, schema: dict[str, Any]) -> list[tuple[str, str]]:
    if error.validator == "required":
        missing = [p for p in error.validator_value if p not in (error.instance or {})]
        prefix = _field_name(error.path)
        return [
            (_join(prefix, name), f"{_title(schema, [*error.path, name])}为必填项")
            for name in missing
        ]
    prefix = _field_name(error.path)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = set(error.schema.get("properties", {}))
        extras = sorted(str(k) for k in error.instance if k not in known)
        return [(_join(prefix, k), f"{k} 不是表单中的字段") for k in extras]
    return [(prefix or "_form", f"{_title(schema, list(error.path))}{_message(error)}")]


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def _field_name(path: Any) -> str:
    return ".".join(str(p) for p in path)


def _title(schema: dict[str, Any], path: list[Any]) -> str:
    node: Any = schema
    for part in path:
        if isinstance(part, int):
            node = node.get("items", {}) if isinstance(node, dict) else {}
        else:
            node = node.get("properties", {}).get(part, {}) if isinstance(node, dict) else {}
    title = node.get("title") if isinstance(node, dict) else None
    return title or (str(path[-1]) if path else "表单")


_TYPE_NAMES = {
    "string": "文本",
    "integer": "整数",
    "number": "数字",
    "boolean": "是/否",
    "array": "列表",
    "object": "对象",
    "null": "空值",
}


def _message(error: ValidationError) -> str:
    value = error.validator_value
    messages = {
        "type": lambda: f"应为{_type_names(value)}",
        "maxLength": lambda: f"不能超过 {value} 个字符",
        "minLength": lambda: f"至少需要 {value} 个字符" if value > 1 else "不能为空",
        "enum": lambda: f"只能是以下之一：{'、'.join(str(v) for v in value)}",
        "const": lambda: f"只能是 {value}",
        "format": lambda: f"格式不正确（应为 {_FORMAT_NAMES.get(value, value)}）",
        "minimum": lambda: f"不能小于 {value}",
        "maximum": lambda: f"不能大于 {value}",
        "exclusiveMinimum": lambda: f"必须大于 {value}",
        "exclusiveMaximum": lambda: f"必须小于 {value}",
        "pattern": lambda: "格式不正确",
        "maxItems": lambda: f"最多 {value} 项",
        "minItems": lambda: f"至少 {value} 项",
    }
    describe = messages.get(str(error.validator))
    return describe() if describe else "不符合要求"


_FORMAT_NAMES = {"date": "日期 YYYY-MM-DD", "date-time": "日期时间", "email": "电子邮箱"}


def _type_names(value: Any) -> str:
    kinds = value if isinstance(value, list) else [value]
    return "或".join(_TYPE_NAMES.get(str(k), str(k)) for k in kinds)
