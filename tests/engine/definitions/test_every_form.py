"""Every form in forms/ is checked on the server: wrong types, missing required fields and
oversized input are refused with a Chinese message under the field's name.

The cases are derived from each schema, so a form added tomorrow is covered the day it lands.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from engine import forms

FORM_FILES = sorted(Path(forms.forms_dir()).glob("*.json"))
CHINESE = re.compile(r"[\u4e00-\u9fff]")
# Candidate values with the JSON types each one has; a field gets the first whose types it
# does not declare.
WRONG_VALUES = (
    (12345, {"integer", "number"}),
    ("文本", {"string"}),
    (["列表"], {"array"}),
    ({"键": "值"}, {"object"}),
)
KNOWN_TYPES = {"string", "integer", "number", "boolean", "array", "object"}


def _schema(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))["schema"]


def _properties(path: Path) -> list[tuple[str, dict[str, Any]]]:
    return sorted(_schema(path).get("properties", {}).items())


def _walk(name: str, schema: dict[str, Any]):
    """Every (name, subschema) below a property, array items and nested objects included."""
    yield name, schema
    items = schema.get("items")
    if isinstance(items, dict):
        yield from _walk(f"{name}[]", items)
    for child, sub in (schema.get("properties") or {}).items():
        yield from _walk(f"{name}.{child}", sub)


def _types(schema: dict[str, Any]) -> list[str]:
    declared = schema.get("type", [])
    return [declared] if isinstance(declared, str) else list(declared)


@pytest.mark.parametrize("path", FORM_FILES, ids=lambda p: p.stem)
def test_every_input_has_a_size_bound(path: Path) -> None:
    """Oversized input can only be refused if the schema bounds it."""
    unbounded = []
    for name, prop in _properties(path):
        for where, sub in _walk(name, prop):
            types = _types(sub)
            if "string" in types and not ({"maxLength", "enum", "const", "format"} & set(sub)):
                unbounded.append(where)
            if "array" in types and "maxItems" not in sub:
                unbounded.append(where)
    assert unbounded == [], f"{path.name}: no size limit on {unbounded}"


@pytest.mark.parametrize("path", FORM_FILES, ids=lambda p: p.stem)
def test_missing_required_fields_are_named_in_chinese(path: Path) -> None:
    required = _schema(path).get("required", [])
    errors = forms.validate_submission(path.stem, {})
    for name in required:
        assert name in errors, f"{path.name}: missing {name} not reported"
        assert CHINESE.search(errors[name]), errors[name]


def _typed_cases():
    for path in FORM_FILES:
        for name, prop in _properties(path):
            types = _types(prop)
            if types and "null" not in types and not set(types) - KNOWN_TYPES:
                wrong = next(v for v, kinds in WRONG_VALUES if not kinds & set(types))
                yield pytest.param(path, name, wrong, id=f"{path.stem}.{name}")


@pytest.mark.parametrize(("path", "name", "wrong"), list(_typed_cases()))
def test_wrong_types_are_refused(path: Path, name: str, wrong: Any) -> None:
    errors = forms.validate_submission(path.stem, {name: wrong})
    assert name in errors, f"{path.name}: {name}={wrong!r} accepted"
    assert CHINESE.search(errors[name]), errors[name]


def _long_cases():
    for path in FORM_FILES:
        for name, prop in _properties(path):
            if "string" in _types(prop) and "maxLength" in prop and "enum" not in prop:
                yield pytest.param(path, name, prop["maxLength"], id=f"{path.stem}.{name}")


@pytest.mark.parametrize(("path", "name", "limit"), list(_long_cases()))
def test_oversized_text_is_refused(path: Path, name: str, limit: int) -> None:
    errors = forms.validate_submission(path.stem, {name: "长" * (limit + 1)})
    assert name in errors, f"{path.name}: {limit + 1} characters accepted in {name}"
    assert CHINESE.search(errors[name]), errors[name]


def test_every_form_is_covered() -> None:
    """The parametrisation found the forms (an empty glob would make the tests above vacuous)."""
    assert {p.stem for p in FORM_FILES} >= {"qingjia_apply", "fawen_draft", "fawen_sign"}
    assert len(list(_long_cases())) > 10 and len(list(_typed_cases())) > 20
