"""通知设置: a user picks e-mail/SMS per kind of notification and quiet hours."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from services.config import current_settings
from services.db import db
from services.errors import ValidationFailed
from services.notify import preferences
from services.notify.channels import all_channels
from web.security import login_required

bp = Blueprint("notify", __name__, url_prefix="/notify")


@bp.get("/preferences")
@login_required
def settings_page() -> tuple[str, int]:
    return _page(preferences.get_preferences(g.user.id))


@bp.post("/preferences")
@login_required
def settings_save() -> Response | tuple[str, int]:
    form = request.form
    chosen = {kind: form.getlist(f"{kind}_channels") for kind in preferences.KINDS}
    try:
        preferences.save_preferences(
            g.user.id,
            chosen,
            form.get("quiet_start", ""),
            form.get("quiet_end", ""),
            urgent_bypass=form.get("urgent_bypass") == "1",
        )
    except ValidationFailed as exc:
        db.session.rollback()
        return _page(preferences.get_preferences(g.user.id), exc.message, 422)
    db.session.commit()
    flash("通知设置已保存。", "success")
    return redirect(url_for("notify.settings_page"))


def _page(
    prefs: preferences.Preferences, error: str | None = None, status: int = 200
) -> tuple[str, int]:
    settings = current_settings()
    channels = [(c.name, c.label, c.configured(settings)) for c in all_channels()]
    html = render_template(
        "notify/preferences.html",
        prefs=prefs,
        kinds=preferences.KINDS,
        channels=channels,
        error=error,
    )
    return html, status
