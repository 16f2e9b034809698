"""What a file is, told from its bytes: the browser's content type and the name are not trusted.

Office Open XML (.docx, .xlsx) and OFD are ZIP packages, told apart by the parts they hold;
legacy .doc and .xls are OLE2 compound files, told apart by their stream names. Plain text is
anything without control characters that decodes as UTF-8 or GB 18030.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass


@dataclass(frozen=True)
class Kind:
    """A file kind the platform knows: name, the content type it is served as, its extensions
    and its Chinese label."""

    name: str
    content_type: str
    extensions: tuple[str, ...]
    label: str


KINDS = {
    k.name: k
    for k in (
        Kind("pdf", "application/pdf", (".pdf",), "PDF 文档"),
        Kind(
            "docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            (".docx",),
            "Word 文档",
        ),
        Kind("doc", "application/msword", (".doc",), "Word 97-2003 文档"),
        Kind(
            "xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            (".xlsx",),
            "Excel 表格",
        ),
        Kind("xls", "application/vnd.ms-excel", (".xls",), "Excel 97-2003 表格"),
        Kind("ofd", "application/ofd", (".ofd",), "OFD 版式文档"),
        Kind("jpg", "image/jpeg", (".jpg", ".jpeg"), "JPEG 图片"),
        Kind("png", "image/png", (".png",), "PNG 图片"),
        Kind("zip", "application/zip", (".zip",), "ZIP 压缩包"),
        Kind("txt", "text/plain; charset=utf-8", (".txt",), "文本文件"),
    )
}

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_TEXT_SAMPLE = 64 * 1024
_TEXT_CONTROLS = set(range(32)) - {9, 10, 12, 13}


def sniff(content: bytes) -> Kind | None:
    """The kind of ``content``, or None when it is none of the known kinds (an .exe, say)."""
    if content.startswith(b"%PDF-"):
        return KINDS["pdf"]
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return KINDS["png"]
    if content.startswith(b"\xff\xd8\xff"):
        return KINDS["jpg"]
    if content.startswith(b"PK\x03\x04"):
        return _zip_kind(content)
    if content.startswith(_OLE_MAGIC):
        return _ole_kind(content)
    return KINDS["txt"] if _is_text(content) else None


def _zip_kind(content: bytes) -> Kind | None:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, ValueError):
        return None
    if "word/document.xml" in names:
        return KINDS["docx"]
    if "xl/workbook.xml" in names:
        return KINDS["xlsx"]
    if "OFD.xml" in names or "ofd.xml" in names:
        return KINDS["ofd"]
    return KINDS["zip"]


def _ole_kind(content: bytes) -> Kind | None:
    # Stream names are stored in UTF-16LE in the compound file's directory sectors.
    if "WordDocument".encode("utf-16-le") in content:
        return KINDS["doc"]
    if "Workbook".encode("utf-16-le") in content or "Book".encode("utf-16-le") in content:
        return KINDS["xls"]
    return None


def _is_text(content: bytes) -> bool:
    sample = content[:_TEXT_SAMPLE]
    if not sample or any(byte in _TEXT_CONTROLS for byte in sample):
        return False
    if len(content) > _TEXT_SAMPLE:
        sample = sample[:-4]  # the cut may fall inside a multi-byte character
    return any(_decodes(sample, encoding) for encoding in ("utf-8", "gb18030"))


def _decodes(data: bytes, encoding: str) -> bool:
    try:
        data.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True
