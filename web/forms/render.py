"""Form spec + current input -> field models that the widget macros render.

Input comes as ``raw``: a flat dict from dotted field name to the strings the controls carry
(what the user typed, kept after a failed POST), or made from typed data by ``raw_from_data``.
Read-only fields, earlier opinions and earlier attachments always come from ``previous`` (the
stored data), never from the request.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import url_for

from engine.forms import FormSpec
from web.filters import local_time
from web.forms import orglabels
from web.forms.signature_links import signature_url
from web.forms.tree import PICKERS, Node, enum_of, form_nodes, join, value_key

TABLE_BLANK_ROWS = 1  # rows offered empty below the filled ones, so that tables work without JS


@dataclass
class Option:
    value: str
    label: str


@dataclass
class FieldView:
    """What one widget macro needs: names, ids, label, value(s), error, help and options."""

    name: str
    id: str
    widget: str
    label: str
    required: bool = False
    readonly: bool = False
    help: str | None = None
    placeholder: str | None = None
    error: str | None = None
    value: Any = ""
    options: list[Option] = field(default_factory=list)
    attrs: dict[str, Any] = field(default_factory=dict)
    children: list[FieldView] = field(default_factory=list)
    rows: list[list[FieldView]] = field(default_factory=list)
    columns: list[FieldView] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)
    show_if: str | None = None

    @property
    def described_by(self) -> str:
        ids = [f"{self.id}-help" if self.help else "", f"{self.id}-error" if self.error else ""]
        return " ".join(i for i in ids if i)


@dataclass
class FormView:
    """A whole form: its fields and every error, keyed like the fields' names."""

    title: str
    fields: list[FieldView]
    errors: dict[str, str]
    unplaced: set[str]  # error keys with no field on the page (the summary shows them unlinked)


def render_form(
    spec: FormSpec,
    *,
    raw: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    previous: dict[str, Any] | None = None,
) -> FormView:
    """Field models for ``spec``; ``raw`` defaults to the ``previous`` data (or defaults)."""
    previous = previous if previous is not None else initial_data(spec)
    builder = _Builder(raw if raw is not None else raw_from_data(spec, previous), errors or {})
    fields = builder.fields(form_nodes(spec), "", previous)
    return FormView(spec.title, fields, builder.errors, set(builder.errors) - builder.placed)


def initial_data(spec: FormSpec) -> dict[str, Any]:
    """The schema's ``default`` values: what a form shows before anything is stored."""
    return _defaults(spec.schema)


def _defaults(schema: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for name, prop in (schema.get("properties") or {}).items():
        if "default" in prop:
            data[name] = prop["default"]
        elif prop.get("type") == "object":
            data[name] = _defaults(prop)
    return data


def raw_from_data(spec: FormSpec, data: dict[str, Any]) -> dict[str, Any]:
    """Typed data as the strings the form controls carry (the inverse of parsing)."""
    raw: dict[str, Any] = {}
    _raw_object(form_nodes(spec), "", data, raw)
    return raw


def _raw_object(nodes: tuple[Node, ...], prefix: str, data: Any, raw: dict[str, Any]) -> None:
    data = data if isinstance(data, dict) else {}
    for node in nodes:
        path = join(prefix, node.name)
        value = data.get(node.name)
        if node.widget == "section":
            _raw_object(node.children, path, value, raw)
        elif node.widget == "table":
            rows = value if isinstance(value, list) else []
            raw[path] = len(rows)
            for index, row in enumerate(rows):
                _raw_object(node.children, join(path, index), row, raw)
        elif node.widget not in ("opinion", "file") and value is not None:
            raw[path] = _raw_value(node, value)


def _raw_value(node: Node, value: Any) -> Any:
    if isinstance(value, list):
        return [value_key(v) for v in value]
    if node.widget == "datetime" and isinstance(value, str):
        return _local_input(value)
    return value_key(value)


def _local_input(value: str) -> str:
    """An RFC 3339 time as the Beijing-time value of ``<input type="datetime-local">``."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    return local_time(moment, "%Y-%m-%dT%H:%M")


class _Builder:
    def __init__(self, raw: dict[str, Any], errors: dict[str, str]) -> None:
        self.raw = raw
        self.errors = errors
        self.placed: set[str] = set()

    def fields(self, nodes: tuple[Node, ...], prefix: str, previous: Any) -> list[FieldView]:
        previous = previous if isinstance(previous, dict) else {}
        return [self.field(node, join(prefix, node.name), previous) for node in nodes]

    def field(self, node: Node, path: str, previous: dict[str, Any]) -> FieldView:
        self.placed.add(path)
        view = FieldView(
            name=path,
            id="f-" + path.replace(".", "-"),
            widget=node.widget,
            label=node.title,
            required=node.marked_required,
            readonly=node.readonly,
            help=node.ui.get("help") or node.schema.get("description"),
            placeholder=node.ui.get("placeholder"),
            error=self.errors.get(path),
            value=self._value(node, path, previous.get(node.name)),
            show_if=json.dumps(node.show_if, ensure_ascii=False) if node.show_if else None,
        )
        _FILLERS.get(node.widget, _fill_input)(self, view, node, previous.get(node.name))
        if node.readonly:
            view.value = _display(node, previous.get(node.name), view.options)
        return view

    def _value(self, node: Node, path: str, stored: Any) -> Any:
        if node.readonly:  # shown from the stored data, whatever the request carried
            return "" if stored is None else _raw_value(node, stored)
        return self.raw.get(path, "")

    def table(self, view: FieldView, node: Node) -> None:
        count = self.raw.get(view.name)
        filled = count if isinstance(count, int) else 0
        view.rows = [
            self.fields(node.children, join(view.name, i), {})
            for i in range(filled + TABLE_BLANK_ROWS)
        ]
        # The JS "add row" button clones this row, replacing __i__ with the next index.
        view.columns = self.fields(node.children, join(view.name, "__i__"), {})


def _fill_input(builder: _Builder, view: FieldView, node: Node, previous: Any) -> None:
    schema = node.schema
    attrs: dict[str, Any] = {"maxlength": node.max_length}
    if node.widget == "number":
        attrs = {
            "min": schema.get("minimum"),
            "max": schema.get("maximum"),
            "step": "1" if schema.get("type") == "integer" else "any",
        }
    elif node.widget == "textarea":
        attrs["rows"] = node.ui.get("rows", 4)
    view.attrs = {k: v for k, v in attrs.items() if v is not None}


def _fill_choices(builder: _Builder, view: FieldView, node: Node, previous: Any) -> None:
    labels = node.ui.get("labels") or {}
    view.options = [Option(value_key(v), option_label(v, labels)) for v in enum_of(node)]
    if node.widget == "checkboxes" and not isinstance(view.value, list):
        view.value = [view.value] if view.value else []


def _fill_section(builder: _Builder, view: FieldView, node: Node, previous: Any) -> None:
    view.children = builder.fields(node.children, view.name, previous)


def _fill_table(builder: _Builder, view: FieldView, node: Node, previous: Any) -> None:
    builder.table(view, node)


def _fill_file(builder: _Builder, view: FieldView, node: Node, previous: Any) -> None:
    accept = node.schema.get("x-accept") or []
    accept = accept.split(",") if isinstance(accept, str) else accept
    view.attrs = {"accept": ",".join(accept), "multiple": node.multiple}
    view.attrs["max_mb"] = max_mb = node.schema.get("x-maxSizeMb")
    notes = [view.help or ""]
    if max_mb:
        notes.append(f"单个文件不超过 {max_mb} MB")
    if accept:
        notes.append("允许的类型：" + "、".join(accept))
    view.help = "；".join(n for n in notes if n) or None
    kept = previous if isinstance(previous, list) else [previous] if previous else []
    view.history = [f for f in kept if isinstance(f, dict)]


def _fill_opinion(builder: _Builder, view: FieldView, node: Node, previous: Any) -> None:
    entries = previous if isinstance(previous, list) else []
    view.history = [_opinion_view(e) for e in entries if isinstance(e, dict)]
    text_schema = ((node.schema.get("items") or {}).get("properties") or {}).get("text") or {}
    view.attrs = {"rows": node.ui.get("rows", 3), "maxlength": text_schema.get("maxLength")}


def _opinion_view(entry: dict[str, Any]) -> dict[str, Any]:
    try:
        shown = local_time(datetime.fromisoformat(str(entry.get("time"))))
    except ValueError:
        shown = str(entry.get("time") or "")
    return {
        **entry,
        "time_shown": shown,
        "signature_url": signature_url(entry.get("signature"), entry.get("user_id")),
    }


def _fill_picker(builder: _Builder, view: FieldView, node: Node, previous: Any) -> None:
    kind = PICKERS[node.widget]
    values = view.value if isinstance(view.value, list) else [view.value] if view.value else []
    labels = orglabels.labels(kind, values)
    view.options = [Option(v, labels.get(v, f"（编号 {v}）")) for v in values]
    view.attrs = {
        "kind": kind,
        "multiple": node.multiple,
        "endpoint": url_for(f"directory.api_{kind}s"),
    }


_FILLERS = {
    "select": _fill_choices,
    "radio": _fill_choices,
    "checkboxes": _fill_choices,
    "section": _fill_section,
    "table": _fill_table,
    "file": _fill_file,
    "opinion": _fill_opinion,
    **dict.fromkeys(PICKERS, _fill_picker),
}


def option_label(value: Any, labels: dict[str, Any]) -> str:
    """The label of an enum value: from the ui ``labels``, else 是/否 for booleans, else as is."""
    key = value_key(value)
    if key in labels:
        return str(labels[key])
    if isinstance(value, bool):
        return "是" if value else "否"
    return key


def _display(node: Node, value: Any, options: list[Option]) -> str:
    """A stored value as read-only text."""
    if value is None:
        return ""
    if node.widget in PICKERS or (node.widget in ("select", "radio") and options):
        shown = {o.value: o.label for o in options}
        values = value if isinstance(value, list) else [value]
        return "、".join(shown.get(value_key(v), value_key(v)) for v in values)
    if node.widget == "datetime" and isinstance(value, str):
        return _local_input(value).replace("T", " ")
    if isinstance(value, bool):
        return option_label(value, node.ui.get("labels") or {})
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)
