"""我的签名: each user's handwritten signature, kept as a transparent PNG of bounded size.

The upload (PNG or JPEG, usually a phone photo or scan of ink on white paper) is opened with
Pillow whatever the browser claims, light pixels become transparent, the blank margin is cut
off and the result is scaled down to the configured box. Opinions signed later refer to the
stored file by id, so replacing a signature never changes opinions already signed.
"""

from __future__ import annotations

import hashlib
import io

from PIL import Image, UnidentifiedImageError

from services import clock
from services.config import current_settings
from services.db import db
from services.errors import ValidationFailed
from services.files import store
from services.files.models import PURPOSE_SIGNATURE, StoredFile, UserSignature
from services.files.policy import CheckedFile
from services.files.sniff import KINDS

ACCEPTED_FORMATS = {"PNG", "JPEG"}
MAX_SOURCE_PIXELS = 25_000_000  # refuse larger images before decoding them (memory bombs)
PAPER_LEVEL = 200  # grey level from which a pixel counts as paper, not ink


def set_signature(user_id: int, content: bytes) -> StoredFile:
    """Normalise and store ``content`` as the user's signature; ValidationFailed (Chinese) if
    it is too large, not a PNG/JPEG image, or holds no strokes."""
    limit_kb = current_settings().signature_max_kb
    if len(content) > limit_kb * 1024:
        raise ValidationFailed(f"签名图片超过 {limit_kb} KB 的大小限制")
    png = normalise(content)
    checked = CheckedFile("手写签名.png", png, KINDS["png"], hashlib.sha256(png).hexdigest())
    row = store.save(checked, uploader_id=user_id, purpose=PURPOSE_SIGNATURE)
    current = db.session.get(UserSignature, user_id)
    if current is None:
        db.session.add(UserSignature(user_id=user_id, file_id=row.id, updated_at=clock.now()))
    else:
        current.file_id, current.updated_at = row.id, clock.now()
    return row


def current_signature(user_id: int) -> StoredFile | None:
    """The user's signature file, or None when they have not uploaded one."""
    current = db.session.get(UserSignature, user_id)
    return None if current is None else db.session.get(StoredFile, current.file_id)


def normalise(content: bytes) -> bytes:
    """A PNG with transparent background, trimmed and fitted into the configured box."""
    image = _open(content)
    rgba = image.convert("RGBA")
    grey = rgba.convert("L")
    # Ink stays (alpha from its own alpha), paper goes: alpha 0 where the grey is light.
    ink = grey.point(lambda level: 255 if level < PAPER_LEVEL else 0)
    alpha = Image.composite(rgba.getchannel("A"), ink, ink)
    rgba.putalpha(alpha)
    box = alpha.getbbox()
    if box is None:
        raise ValidationFailed("签名图片中没有可识别的笔迹，请在白纸上用深色笔书写后拍照上传")
    trimmed = rgba.crop(box)
    settings = current_settings()
    trimmed.thumbnail((settings.signature_max_width, settings.signature_max_height))
    out = io.BytesIO()
    trimmed.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _open(content: bytes) -> Image.Image:
    try:
        image = Image.open(io.BytesIO(content))
    except (UnidentifiedImageError, OSError) as exc:
        raise ValidationFailed("签名图片只能是 PNG 或 JPEG 格式") from exc
    if image.format not in ACCEPTED_FORMATS:
        raise ValidationFailed("签名图片只能是 PNG 或 JPEG 格式")
    width, height = image.size
    if width * height > MAX_SOURCE_PIXELS:
        raise ValidationFailed("签名图片的像素过多，请缩小后再上传")
    try:
        image.load()
    except (OSError, Image.DecompressionBombError) as exc:
        raise ValidationFailed("签名图片已损坏，无法读取") from exc
    return image
