"""表单编辑: edit a form's JSON beside a live preview rendered by the real form renderer.

Nothing is saved to forms/ from here; the analyst copies the checked JSON into the repository.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Response, render_template, request

from engine.forms import FormSpec, form_path, form_problem
from services.errors import NotFound
from services.org.roles import ANALYST, SYSADMIN
from web.forms.render import initial_data, render_form
from web.security import roles_required
from web.studio import bp


@bp.get("/forms/<key>")
@roles_required(ANALYST, SYSADMIN)
def form_editor(key: str) -> str:
    path = form_path(key)  # refuses anything but a plain key, so no path escapes forms/
    if not path.is_file():
        raise NotFound(f"表单 {key} 不存在")
    return render_template("studio/form_editor.html", key=key, text=path.read_text("utf-8"))


def _spec(text: str) -> FormSpec | str:
    """The form described by ``text``, or a Chinese reason why it cannot be rendered."""
    try:
        raw: Any = json.loads(text)
    except ValueError as exc:
        return f"不是合法的 JSON：{exc}"
    problem = form_problem(raw)
    if problem:
        return problem
    return FormSpec("preview", raw.get("title") or "表单预览", raw["schema"], raw.get("ui") or {})


@bp.post("/forms/preview")
@roles_required(ANALYST, SYSADMIN)
def form_preview() -> Response:
    body = request.get_json(silent=True) or {}
    spec = _spec(str(body.get("text") or ""))
    if isinstance(spec, str):
        result = {"ok": False, "message": spec}
    else:
        form = render_form(spec, previous=initial_data(spec))
        result = {"ok": True, "html": render_template("studio/form_preview.html", form=form)}
    return Response(json.dumps(result, ensure_ascii=False), mimetype="application/json")
