"""What the task and instance pages show of an instance's files: its attachments and the
signed opinions (with their handwritten signatures).

Signature images are served through links signed for the viewer (``web.forms.signature_links``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import g, url_for
from werkzeug.wrappers import Response

from engine import api
from services.errors import Forbidden
from services.files import store
from services.files.models import PURPOSE_SIGNATURE
from web.files import bp
from web.files.responses import file_response
from web.filters import local_time
from web.forms import signature_links
from web.security import login_required
from web.workbench import history as hist


@dataclass(frozen=True)
class OpinionView:
    """One signed opinion as the pages show it."""

    text: str
    user_name: str
    position: str
    unit: str
    time: str
    time_shown: str
    signature_url: str | None


@bp.get("/signatures/<token>")
@login_required
def signature_image(token: str) -> Response:
    row = store.get(signature_links.read_token(token, g.user.id))
    if row is None or row.purpose != PURPOSE_SIGNATURE:
        raise Forbidden(signature_links.INVALID)
    return file_response(row, inline=True)


def opinion_view(entry: dict[str, Any]) -> OpinionView:
    """A stored opinion entry (see ``web.forms.parse``) ready for a template."""
    time = str(entry.get("time") or "")
    try:
        shown = local_time(datetime.fromisoformat(time))
    except ValueError:
        shown = time
    return OpinionView(
        text=str(entry.get("text") or ""),
        user_name=str(entry.get("user_name") or ""),
        position=str(entry.get("position") or ""),
        unit=str(entry.get("unit") or ""),
        time=time,
        time_shown=shown,
        signature_url=signature_links.signature_url(entry.get("signature"), entry.get("user_id")),
    )


def signed_opinions(instance_id: int) -> list[OpinionView]:
    """Every signed opinion entry in the instance's data, oldest first."""
    data = hist.submitted_data(api.history(instance_id))
    entries = [
        e
        for value in data.values()
        if isinstance(value, list)
        for e in value
        if isinstance(e, dict) and "text" in e and "user_id" in e
    ]
    return [opinion_view(e) for e in sorted(entries, key=lambda e: str(e.get("time") or ""))]


def instance_attachments(instance_id: int) -> list[dict[str, Any]]:
    """The instance's attachments with uploader name and download link, oldest first."""
    rows = store.attachments_of(instance_id)
    names = hist.user_names({r.uploader_id for r in rows})
    return [
        {
            "filename": r.filename,
            "size": r.size,
            "uploader": names.get(r.uploader_id, ""),
            "created_at": r.created_at,
            "url": url_for("files.download", file_id=r.id),
        }
        for r in rows
    ]


@bp.app_context_processor
def _template_helpers() -> dict[str, Any]:
    return {"instance_attachments": instance_attachments, "signed_opinions": signed_opinions}
