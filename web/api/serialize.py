"""The JSON shapes of the API, built from the engine's and the directory's own dataclasses."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from engine import api
from engine.definitions.repository import DefinitionSummary
from engine.forms import FormSpec
from services.org.models import Unit, User


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def view(obj: Any) -> dict[str, Any]:
    """A frozen dataclass (TaskView, InstanceView, EventView...) as JSON-ready dict."""
    return {key: _plain(value) for key, value in dataclasses.asdict(obj).items()}


def task(item: api.TaskView) -> dict[str, Any]:
    """A task as listed, with its overdue flag."""
    return {**view(item), "overdue": item.overdue}


def page(result: api.Page, shape: Any) -> dict[str, Any]:
    """A page of a listing: items plus the counts a client pages with."""
    return {
        "items": [shape(item) for item in result.items],
        "total": result.total,
        "page": result.page,
        "per_page": result.per_page,
        "pages": result.pages,
    }


def form(spec: FormSpec) -> dict[str, Any]:
    """A task's form: the JSON Schema the submission is validated against, and its UI hints."""
    return {"key": spec.key, "title": spec.title, "schema": spec.schema, "ui": spec.ui}


def definition(summary: DefinitionSummary) -> dict[str, Any]:
    """A deployed process with its latest version."""
    return view(summary)


def version(row: Any) -> dict[str, Any]:
    """One immutable version of a process (without its files and spec)."""
    return {
        "key": row.key,
        "version": row.version,
        "name": row.name,
        "checksum": row.checksum,
        "deployed_at": _plain(row.deployed_at),
        "deployed_by_id": row.deployed_by_id,
        "comment": row.comment,
        "tag": row.tag,
    }


def user(row: User) -> dict[str, Any]:
    """A directory entry (no contact details: those follow the directory's own rules)."""
    return {
        "id": row.id,
        "username": row.username,
        "name": row.name,
        "unit_id": row.unit_id,
        "unit": row.unit.name if row.unit is not None else None,
        "department_id": row.department_id,
        "department": row.department.name if row.department is not None else None,
        "position": row.position.name if row.position is not None else None,
    }


def unit(row: Unit) -> dict[str, Any]:
    """A unit of the directory."""
    return {
        "id": row.id,
        "code": row.code,
        "name": row.name,
        "short_name": row.short_name,
        "kind": row.kind,
        "parent_id": row.parent_id,
    }
