"""Helpers for the form tests: render a form to HTML and submit it the way a browser would."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import lxml.html
from flask import current_app, render_template_string
from werkzeug.datastructures import MultiDict

from engine.forms import FormSpec, load_form
from web.forms.render import FormView, render_form

SAMPLE = "sample_all_widgets"
_PAGE = '{% import "forms/widgets.html" as w with context %}{{ w.render_form(form, "/submit") }}'


def sample() -> FormSpec:
    return load_form(SAMPLE)


def html_of(form: FormView) -> str:
    """The form's HTML, rendered by the widget macros (needs an app context)."""
    with current_app.test_request_context():
        return render_template_string(_PAGE, form=form)


def render_html(spec: FormSpec, **kwargs: Any) -> str:
    with current_app.test_request_context():
        return html_of(render_form(spec, **kwargs))


def document(html: str) -> lxml.html.HtmlElement:
    return lxml.html.fromstring(html)


def browser_submission(html: str) -> MultiDict[str, str]:
    """What a browser without JS posts for the form as rendered (the row template is inert)."""
    root = document(html)
    for template in root.xpath("//template"):
        template.drop_tree()
    form = root if root.tag == "form" else root.xpath("//form")[0]
    return MultiDict([(k, v) for k, v in form.form_values() if k != "csrf_token"])


def write_form(directory: Path, key: str, schema: dict[str, Any], ui: dict[str, Any]) -> None:
    body = {"title": key, "schema": {"type": "object", **schema}, "ui": ui}
    (directory / f"{key}.json").write_text(json.dumps(body, ensure_ascii=False), "utf-8")


def thirty_field_form(directory: Path, key: str = "thirty") -> None:
    """A 30-field form mixing the common widgets, like a busy 发文稿纸."""
    kinds: list[dict[str, Any]] = [
        {"type": "string", "maxLength": 100},
        {"type": "string", "format": "date"},
        {"type": "integer", "minimum": 0},
        {"type": "string", "enum": ["甲", "乙", "丙"]},
        {"type": "boolean"},
        {"type": "string", "maxLength": 2000},
    ]
    properties = {f"f{i}": {**kinds[i % 6], "title": f"字段{i}"} for i in range(30)}
    ui = {f"f{i}": {"widget": "textarea"} for i in range(5, 30, 6)}
    write_form(directory, key, {"properties": properties, "required": ["f0", "f1"]}, ui)
