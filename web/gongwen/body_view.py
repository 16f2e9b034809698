"""The 正文 as the pages show it: numbered headings for reading, and the editor's HTML."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from services.documents.model import BodyParagraph
from services.documents.redhead import heading_prefix
from services.errors import ValidationFailed
from services.gongwen import body, versions
from services.gongwen.models import BodyVersion

MAX_LEVEL = 4


@dataclass(frozen=True)
class ShownParagraph:
    """A paragraph to print: its heading level (0 body text) and text with its number."""

    level: int
    text: str


def numbered_paragraphs(paragraphs: list[BodyParagraph]) -> list[ShownParagraph]:
    """Headings numbered 一、（一）1.（1） per level as the printed document will be."""
    counters = [0] * (MAX_LEVEL + 1)
    shown = []
    for paragraph in paragraphs:
        level = min(paragraph.level, MAX_LEVEL)
        prefix = ""
        if level:
            counters[level] += 1
            counters[level + 1 :] = [0] * (MAX_LEVEL - level)
            prefix = heading_prefix(level, counters[level])
        shown.append(ShownParagraph(level, prefix + paragraph.text))
    return shown


def editor_html(version: BodyVersion | None) -> str:
    """The starting content of the browser editor: an HTML version as saved (already
    sanitised), an uploaded .docx as headings and paragraphs without typed numbers."""
    if version is None:
        return "<p></p>"
    if version.kind == "html":
        return safe_html(version.html or "") or "<p></p>"
    parts = []
    for paragraph in versions.body_paragraphs(version):
        tag = f"h{paragraph.level}" if paragraph.level else "p"
        parts.append(f"<{tag}>{escape(paragraph.text)}</{tag}>")
    return "".join(parts) or "<p></p>"


def safe_html(html: str) -> str:
    """``html`` reduced to the body whitelist, or "" when it cannot be (too long, not text);
    for showing text back in the editor."""
    try:
        return body.sanitise_html(html)
    except ValidationFailed:
        return ""
