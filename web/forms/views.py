"""表单预览: analysts open any form of forms/ and try it; nothing is stored.

The page starts from the schema's ``default`` values (that is how read-only fields and
earlier data show up in a preview); a POST is parsed and validated exactly as a task's would be.
"""

from __future__ import annotations

import json

from flask import Blueprint, g, render_template, request

from engine.forms import load_form
from web.forms.parse import author_of, parse_submission
from web.forms.render import initial_data, render_form
from web.security import login_required

bp = Blueprint("forms", __name__, url_prefix="/forms")


@bp.get("/preview/<key>")
@login_required
def preview(key: str) -> str:
    spec = load_form(key)
    return render_template("forms/preview.html", key=key, form=render_form(spec), result=None)


@bp.post("/preview/<key>")
@login_required
def preview_submit(key: str) -> tuple[str, int]:
    spec = load_form(key)
    previous = initial_data(spec)
    submission = parse_submission(
        spec, request.form, request.files, previous=previous, author=author_of(g.user)
    )
    if not submission.ok:
        form = render_form(spec, raw=submission.raw, errors=submission.errors, previous=previous)
        return render_template("forms/preview.html", key=key, form=form, result=None), 422
    # Shown again from the parsed data, so that what was stored is what the analyst sees.
    form = render_form(spec, previous=submission.data)
    result = json.dumps(submission.data, ensure_ascii=False, indent=2)
    return render_template("forms/preview.html", key=key, form=form, result=result), 200
