"""The rules an upload must pass before it is stored: size, kind (from the bytes), a name that
matches the kind, and a file name safe to send back in a download header."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from typing import BinaryIO

from services.config import ConfigError, current_settings
from services.errors import ValidationFailed
from services.files.sniff import KINDS, Kind, sniff

MAX_NAME_LENGTH = 120
_CHUNK = 64 * 1024
# Characters that mean something to a file system or a header; dropped from names.
_UNSAFE = re.compile(r'[\\/:*?"<>|;\x00-\x1f\x7f]')


@dataclass(frozen=True)
class CheckedFile:
    """An upload that passed the rules, ready to be saved."""

    filename: str
    content: bytes
    kind: Kind
    sha256: str

    @property
    def size(self) -> int:
        return len(self.content)


def allowed_kinds() -> list[Kind]:
    """The kinds the settings allow (``OA_ATTACHMENT_TYPES``)."""
    names = [n.strip().lower() for n in current_settings().attachment_types.split(",")]
    unknown = [n for n in names if n and n not in KINDS]
    if unknown:
        raise ConfigError(f"OA_ATTACHMENT_TYPES 含有不支持的类型：{'、'.join(unknown)}")
    return [KINDS[n] for n in names if n]


def size_limit(field_limit_mb: float | None = None) -> float:
    """The size limit in MB: the settings', or a form field's if that is stricter."""
    limit = float(current_settings().attachment_max_mb)
    return min(limit, float(field_limit_mb)) if field_limit_mb else limit


def read_limited(stream: BinaryIO, limit_mb: float) -> bytes | None:
    """The stream's bytes, or None as soon as it grows past ``limit_mb`` (nothing more read)."""
    limit = int(limit_mb * 1024 * 1024)
    chunks, size = [], 0
    while chunk := stream.read(_CHUNK):
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def too_large(filename: str, limit_mb: float) -> ValidationFailed:
    """The error for a file over ``limit_mb``."""
    return ValidationFailed(f"文件「{filename}」超过 {limit_mb:g} MB 的大小限制")


def check(filename: str, content: bytes, *, limit_mb: float | None = None) -> CheckedFile:
    """``content`` as a file the platform will keep; ValidationFailed (Chinese) otherwise."""
    name = sanitize_filename(filename)
    limit = size_limit(limit_mb)
    if len(content) > limit * 1024 * 1024:
        raise too_large(name, limit)
    if not content:
        raise ValidationFailed(f"文件「{name}」是空文件")
    kind = sniff(content)
    allowed = allowed_kinds()
    if kind is None or kind not in allowed:
        labels = "、".join(k.extensions[0] for k in allowed)
        raise ValidationFailed(f"不允许上传文件「{name}」：只能上传 {labels} 类型的文件")
    if not name.lower().endswith(kind.extensions):
        raise ValidationFailed(f"文件「{name}」的内容是{kind.label}，与扩展名不符")
    return CheckedFile(name, content, kind, hashlib.sha256(content).hexdigest())


def sanitize_filename(filename: str) -> str:
    """The last path part of ``filename`` without control or path characters, at most
    ``MAX_NAME_LENGTH`` characters with the extension kept; "附件" when nothing is left."""
    name = unicodedata.normalize("NFC", filename.replace("\\", "/").rsplit("/", 1)[-1])
    name = " ".join(_UNSAFE.sub("", name).split()).strip(". ")
    if len(name) > MAX_NAME_LENGTH:
        stem, dot, extension = name.rpartition(".")
        keep = MAX_NAME_LENGTH - len(extension) - 1
        name = f"{stem[:keep]}.{extension}" if dot and 0 < len(extension) < 10 else name[:120]
    return name or "附件"
