"""A form's schema and ui schema read into a tree of nodes, one per field, with its widget.

The ui schema maps a property name to its options (``{"widget": "textarea", "rows": 4}``);
the ``ui:`` prefix of react-jsonschema-form (``"ui:widget"``) is accepted too. Sections (object
properties) and table columns (array items) carry their own ui options under their name.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from engine.forms import FormSpec

LONG_TEXT = 200  # characters: strings allowed more than this default to a textarea
PICKERS = {"user-picker": "user", "unit-picker": "unit", "department-picker": "department"}
WIDGETS = {
    "text",
    "textarea",
    "number",
    "date",
    "datetime",
    "select",
    "radio",
    "checkbox",
    "checkboxes",
    "table",
    "section",
    "file",
    "richtext",
    "opinion",
    *PICKERS,
}


@dataclass(frozen=True)
class Node:
    """One field of the form: its property name, schema, ui options and widget; ``required``
    is what the parent schema's ``required`` says."""

    name: str
    schema: dict[str, Any]
    ui: dict[str, Any]
    widget: str
    required: bool
    children: tuple[Node, ...] = ()

    @property
    def title(self) -> str:
        return str(self.ui.get("title") or self.schema.get("title") or self.name)

    @property
    def marked_required(self) -> bool:
        """Shown with the required mark: required by the schema, or marked so in the ui
        (for fields that an ``if/then`` of the schema requires only sometimes)."""
        return self.required or bool(self.ui.get("required"))

    @property
    def readonly(self) -> bool:
        return bool(self.ui.get("readonly"))

    @property
    def show_if(self) -> dict[str, Any] | None:
        condition = self.ui.get("x-showIf") or self.schema.get("x-showIf")
        return condition if isinstance(condition, dict) and "field" in condition else None

    @property
    def multiple(self) -> bool:
        return self.schema.get("type") == "array"

    @property
    def max_length(self) -> int | None:
        value = self.schema.get("maxLength")
        return value if isinstance(value, int) else None


def form_nodes(spec: FormSpec) -> tuple[Node, ...]:
    """The top-level fields of ``spec``, in the ui ``order`` (then schema order)."""
    return object_nodes(spec.schema, spec.ui)


def object_nodes(schema: dict[str, Any], ui: dict[str, Any]) -> tuple[Node, ...]:
    """The fields of an object schema, in the ui ``order`` (then schema order)."""
    properties: dict[str, Any] = schema.get("properties") or {}
    required = set(schema.get("required") or ())
    return tuple(
        _node(name, properties[name], _ui_of(ui, name), name in required)
        for name in _ordered(properties, ui)
    )


def walk(nodes: tuple[Node, ...], prefix: str = "") -> Iterator[tuple[str, Node]]:
    """Every node with its dotted path, sections entered (table columns are not)."""
    for node in nodes:
        path = join(prefix, node.name)
        yield path, node
        if node.widget == "section":
            yield from walk(node.children, path)


def join(prefix: str, name: str | int) -> str:
    """The dotted name of ``name`` inside ``prefix``: also the HTML field name and error key."""
    return f"{prefix}.{name}" if prefix else str(name)


def _ordered(properties: dict[str, Any], ui: dict[str, Any]) -> list[str]:
    order = [name for name in ui.get("order") or () if name in properties]
    return order + [name for name in properties if name not in order]


def _ui_of(ui: dict[str, Any], name: str) -> dict[str, Any]:
    options = ui.get(name)
    if not isinstance(options, dict):
        return {}
    # "ui:widget" and "widget" mean the same; the short form is what our own forms use.
    return {key.removeprefix("ui:"): value for key, value in options.items()}


def _node(name: str, schema: dict[str, Any], ui: dict[str, Any], required: bool) -> Node:
    widget = widget_for(schema, ui)
    children: tuple[Node, ...] = ()
    if widget == "section":
        children = object_nodes(schema, ui)
    elif widget == "table":
        children = object_nodes(schema.get("items") or {}, ui)
    return Node(name, schema, ui, widget, required, children)


def widget_for(schema: dict[str, Any], ui: dict[str, Any]) -> str:
    """The widget named in the ui options, else the one the schema's type suggests."""
    named = ui.get("widget")
    if isinstance(named, str) and named in WIDGETS:
        return named
    kind = schema.get("type")
    items = schema.get("items") or {}
    if kind == "object":
        return "section"
    if kind == "array":
        return "table" if items.get("type") == "object" else "checkboxes"
    if "enum" in schema:
        return "select"
    if kind == "boolean":
        return "checkbox"
    if kind in ("integer", "number"):
        return "number"
    if schema.get("format") in ("date", "date-time"):
        return "date" if schema["format"] == "date" else "datetime"
    # Long answers (意见, 说明) get room to write; short ones a single line.
    return "textarea" if schema.get("maxLength", 0) > LONG_TEXT else "text"


def enum_of(node: Node) -> list[Any]:
    """The allowed values of an enum field (booleans: true and false)."""
    schema = node.schema.get("items", {}) if node.multiple else node.schema
    if "enum" in schema:
        return list(schema["enum"])
    return [True, False] if schema.get("type") == "boolean" else []


def value_key(value: Any) -> str:
    """A typed value as the string an HTML control carries (JSON spelling for booleans)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)
