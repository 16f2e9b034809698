"""Mutations of a generated .docx for the checker tests: edit one XML part as text."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable


def edit_part(docx: bytes, part: str, old: str, new: str) -> bytes:
    """Replace the first ``old`` in ``part`` by ``new``; fails when ``old`` is absent."""
    return _rewrite(docx, part, lambda xml: _replace_once(xml, old, new))


def edit_style(docx: bytes, style_id: str, old: str, new: str) -> bytes:
    """Replace ``old`` by ``new`` inside one style definition of word/styles.xml."""

    def change(xml: str) -> str:
        pattern = re.compile(rf'<w:style [^>]*w:styleId="{style_id}".*?</w:style>', re.S)
        match = pattern.search(xml)
        assert match, style_id
        return xml[: match.start()] + _replace_once(match.group(0), old, new) + xml[match.end() :]

    return _rewrite(docx, "word/styles.xml", change)


def part_text(docx: bytes, part: str) -> str:
    with zipfile.ZipFile(io.BytesIO(docx)) as archive:
        return archive.read(part).decode("utf-8")


def _replace_once(xml: str, old: str, new: str) -> str:
    assert old in xml, old
    return xml.replace(old, new, 1)


def _rewrite(docx: bytes, part: str, change: Callable[[str], str]) -> bytes:
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(docx)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == part:
                data = change(data.decode("utf-8")).encode("utf-8")
            target.writestr(item, data)
    return out.getvalue()
