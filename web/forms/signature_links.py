"""Links to handwritten-signature images, signed for the viewer.

The page that shows an opinion has already checked that the viewer may see it; the link it
renders grants exactly that image to exactly that user for a while, so the image route needs
no search for which instances refer to the signature. Served by ``web.files.listing``.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, g, url_for
from itsdangerous import BadSignature, URLSafeTimedSerializer

from services.errors import Forbidden
from services.files import store
from services.files.models import PURPOSE_SIGNATURE

LINK_SECONDS = 12 * 3600
_SALT = "files.signature-image"
INVALID = "签名图片链接无效或已过期，请刷新页面。"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key or "", salt=_SALT)


def signature_url(reference: Any, signer_id: Any) -> str | None:
    """A link to the signature image ``reference`` (a stored file id) for the current user;
    None unless it is a signature that ``signer_id`` uploaded (data sent through the API could
    name anyone's signature file)."""
    user = g.get("user")
    if user is None or not str(reference or "").isdigit():
        return None
    row = store.get(int(reference))
    if row is None or row.purpose != PURPOSE_SIGNATURE or row.uploader_id != signer_id:
        return None
    token = _serializer().dumps([int(reference), user.id])
    return url_for("files.signature_image", token=token)


def read_token(token: str, viewer_id: int) -> int:
    """The signature file id a link grants to ``viewer_id``; Forbidden if forged or expired."""
    try:
        file_id, granted_to = _serializer().loads(token, max_age=LINK_SECONDS)
    except (BadSignature, ValueError, TypeError) as exc:
        raise Forbidden(INVALID) from exc
    if granted_to != viewer_id or not isinstance(file_id, int):
        raise Forbidden(INVALID)
    return file_id
