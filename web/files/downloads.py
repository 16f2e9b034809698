"""Attachment download: whoever may see the process instance the file was uploaded in (and the
uploader) gets it; everyone else gets the same 403, whether or not the id exists."""

from __future__ import annotations

from flask import g
from werkzeug.wrappers import Response

from services.errors import Forbidden
from services.files import store
from services.files.models import PURPOSE_ATTACHMENT, StoredFile
from services.org.models import User
from web.files import bp
from web.files.responses import file_response
from web.security import login_required
from web.workbench import access

FILE_FORBIDDEN = "您无权下载该文件。"


def downloadable(file_id: int, user: User) -> StoredFile:
    """The attachment if ``user`` may download it; Forbidden otherwise."""
    row = store.get(file_id)
    if row is None or row.purpose != PURPOSE_ATTACHMENT:
        raise Forbidden(FILE_FORBIDDEN)
    if row.uploader_id == user.id:
        return row
    if row.instance_id is None:
        raise Forbidden(FILE_FORBIDDEN, file_id=file_id)
    access.visible_instance(row.instance_id, user)  # Forbidden for outsiders
    return row


@bp.get("/<int:file_id>")
@login_required
def download(file_id: int) -> Response:
    return file_response(downloadable(file_id, g.user))
