"""Comparing two 正文 versions: a structured diff, an HTML view with ``<ins>``/``<del>``, and the
花脸稿 — a .docx with real Word revision marks that opens in Word/WPS with 修订 shown.

Both versions are compared as the generator's paragraphs (:func:`versions.body_paragraphs`), so
an HTML version compares with an uploaded .docx. Paragraphs are aligned first (unchanged ones by
equality, edited ones by similarity), then edited paragraphs are diffed word by word. Chinese has
no spaces between words, so words come from the rjieba segmenter (jieba-rs): a changed word is
shown as a whole word deleted and inserted, as a reader of a 花脸稿 expects.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import datetime
from html import escape

import nh3
import rjieba
from lxml import etree
from lxml.etree import _Element as Element

from services import clock
from services.documents.model import BodyParagraph
from services.gongwen import body_docx, versions
from services.gongwen.body_docx import make_run, w
from services.gongwen.models import BodyVersion

# Paragraphs at least this similar are shown as one edited paragraph, else as delete + insert.
SIMILARITY = 0.5
EQUAL, INSERT, DELETE, CHANGE = "equal", "insert", "delete", "change"


@dataclass(frozen=True)
class Segment:
    """A piece of paragraph text that is unchanged, inserted or deleted."""

    op: str
    text: str


@dataclass(frozen=True)
class ParagraphChange:
    """One paragraph of the comparison; ``old_number``/``new_number`` are its heading numbers
    (一、 …) in each version, "" for body text or when absent on that side."""

    op: str
    old: BodyParagraph | None
    new: BodyParagraph | None
    segments: tuple[Segment, ...]
    old_number: str = ""
    new_number: str = ""

    @property
    def level_changed(self) -> bool:
        return self.old is not None and self.new is not None and self.old.level != self.new.level


@dataclass(frozen=True)
class Comparison:
    """The diff of two versions, paragraph by paragraph."""

    old_version: int
    new_version: int
    paragraphs: tuple[ParagraphChange, ...]

    @property
    def changed(self) -> bool:
        return any(p.op != EQUAL for p in self.paragraphs)

    def count(self, op: str) -> int:
        """Characters inserted (``op="insert"``) or deleted (``"delete"``)."""
        return sum(len(s.text) for p in self.paragraphs for s in p.segments if s.op == op)


def compare(version_a: BodyVersion, version_b: BodyVersion) -> Comparison:
    """The changes from ``version_a`` (older) to ``version_b`` (newer)."""
    old = versions.body_paragraphs(version_a)
    new = versions.body_paragraphs(version_b)
    return Comparison(version_a.number, version_b.number, tuple(compare_paragraphs(old, new)))


def compare_paragraphs(old: list[BodyParagraph], new: list[BodyParagraph]) -> list[ParagraphChange]:
    """Align ``old`` and ``new`` paragraphs and diff the edited ones word by word."""
    old_numbers, new_numbers = _numbers(old), _numbers(new)
    result: list[ParagraphChange] = []
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            for k, m in zip(range(i1, i2), range(j1, j2), strict=True):
                result.append(_pair(old[k], new[m], old_numbers[k], new_numbers[m]))
            continue
        for i, j in _align(old, new, range(i1, i2), range(j1, j2)):
            if i is None and j is not None:
                result.append(_inserted(new[j], new_numbers[j]))
            elif j is None and i is not None:
                result.append(_deleted(old[i], old_numbers[i]))
            elif i is not None and j is not None:
                result.append(_pair(old[i], new[j], old_numbers[i], new_numbers[j]))
    return result


def _numbers(paragraphs: list[BodyParagraph]) -> list[str]:
    numbering = body_docx.Numbering()
    return [numbering.next(p.level) for p in paragraphs]


def _similar(a: BodyParagraph, b: BodyParagraph) -> bool:
    return difflib.SequenceMatcher(None, a.text, b.text, autojunk=False).ratio() >= SIMILARITY


def _align(
    old: list[BodyParagraph], new: list[BodyParagraph], olds: range, news: range
) -> list[tuple[int | None, int | None]]:
    """Pairs (old, new) for a replaced block, ``None`` on one side for a whole-paragraph
    deletion or insertion; greedy in order, looking one paragraph ahead on each side."""
    pairs: list[tuple[int | None, int | None]] = []
    i, j = olds.start, news.start
    while i < olds.stop and j < news.stop:
        if _similar(old[i], new[j]):
            pairs.append((i, j))
            i, j = i + 1, j + 1
        elif j + 1 < news.stop and _similar(old[i], new[j + 1]):
            pairs.append((None, j))
            j += 1
        else:
            pairs.append((i, None))
            i += 1
    pairs += [(k, None) for k in range(i, olds.stop)]
    pairs += [(None, k) for k in range(j, news.stop)]
    return pairs


def _inserted(paragraph: BodyParagraph, number: str) -> ParagraphChange:
    return ParagraphChange(
        INSERT, None, paragraph, (Segment(INSERT, paragraph.text),), new_number=number
    )


def _deleted(paragraph: BodyParagraph, number: str) -> ParagraphChange:
    return ParagraphChange(
        DELETE, paragraph, None, (Segment(DELETE, paragraph.text),), old_number=number
    )


def _pair(a: BodyParagraph, b: BodyParagraph, a_number: str, b_number: str) -> ParagraphChange:
    segments = tuple(diff_words(a.text, b.text))
    same = a == b and a_number == b_number
    return ParagraphChange(EQUAL if same else CHANGE, a, b, segments, a_number, b_number)


def diff_words(old: str, new: str) -> list[Segment]:
    """Word-level diff of two texts (rjieba words), adjacent pieces of one kind merged."""
    if old == new:
        return [Segment(EQUAL, old)] if old else []
    a, b = rjieba.cut(old), rjieba.cut(new)
    segments: list[Segment] = []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            _add(segments, EQUAL, "".join(a[i1:i2]))
        if tag in ("delete", "replace"):
            _add(segments, DELETE, "".join(a[i1:i2]))
        if tag in ("insert", "replace"):
            _add(segments, INSERT, "".join(b[j1:j2]))
    return segments


def _add(segments: list[Segment], op: str, text: str) -> None:
    if not text:
        return
    if segments and segments[-1].op == op:
        segments[-1] = Segment(op, segments[-1].text + text)
    else:
        segments.append(Segment(op, text))


# ---------------------------------------------------------------- HTML view


def html_diff(version_a: BodyVersion, version_b: BodyVersion) -> str:
    """The comparison as sanitised HTML: one ``<p>`` per paragraph (class ``gw-diff-<op>`` and
    ``gw-level-<n>``), inserted text in ``<ins>``, deleted text in ``<del>``."""
    return comparison_html(compare(version_a, version_b))


def comparison_html(comparison: Comparison) -> str:
    """HTML of an already computed :class:`Comparison` (see :func:`html_diff`)."""
    parts = []
    for change in comparison.paragraphs:
        level = (change.new or change.old or BodyParagraph("")).level
        inner = _number_html(change) + "".join(_segment_html(s) for s in change.segments)
        parts.append(f'<p class="gw-diff-{change.op} gw-level-{level}">{inner}</p>')
    html = f'<div class="gw-diff">{"".join(parts)}</div>'
    return nh3.clean(
        html,
        tags={"div", "p", "ins", "del"},
        attributes={"div": {"class"}, "p": {"class"}},
        url_schemes=set(),
        link_rel=None,
    )


def _number_html(change: ParagraphChange) -> str:
    if change.old_number == change.new_number or change.op != CHANGE:
        number = change.new_number or change.old_number
        return _segment_html(Segment(change.op if change.op != CHANGE else EQUAL, number))
    deleted = _segment_html(Segment(DELETE, change.old_number))
    return deleted + _segment_html(Segment(INSERT, change.new_number))


def _segment_html(segment: Segment) -> str:
    if not segment.text:
        return ""
    text = escape(segment.text)
    if segment.op == INSERT:
        return f"<ins>{text}</ins>"
    if segment.op == DELETE:
        return f"<del>{text}</del>"
    return text


# ---------------------------------------------------------------- 花脸稿 .docx
#
# Written by hand with lxml: python-docx reads and writes paragraphs and runs but has no API for
# tracked changes (no w:ins / w:del / w:pPrChange), and LibreOffice's compare needs a running
# office. The marks follow ECMA-376 Part 1, 17.13.5: inserted runs sit in <w:ins>, deleted runs
# in <w:del> with their text in <w:delText>; an inserted or deleted paragraph also marks its
# paragraph mark (<w:pPr><w:rPr><w:ins|w:del/></w:rPr></w:pPr>); a heading whose level changed
# carries <w:pPrChange> with its old style. Every mark has a unique w:id, w:author and w:date.


class _Revisions:
    """Creates revision mark elements with unique ids, one author and one date."""

    def __init__(self, author: str, date: datetime) -> None:
        self.author = author
        self.date = clock.as_utc(date).strftime("%Y-%m-%dT%H:%M:%SZ")
        self.next_id = 1

    def mark(self, tag: str) -> Element:
        element = etree.Element(w(tag))
        element.set(w("id"), str(self.next_id))
        element.set(w("author"), self.author)
        element.set(w("date"), self.date)
        self.next_id += 1
        return element

    def runs(self, op: str, text: str) -> Element:
        """``text`` as a plain run, or a run inside ``w:ins`` / ``w:del``."""
        if op == EQUAL:
            return make_run(text)
        wrapper = self.mark("ins" if op == INSERT else "del")
        wrapper.append(make_run(text, deleted=op == DELETE))
        return wrapper


def revision_docx(
    version_a: BodyVersion,
    version_b: BodyVersion,
    author: str | None = None,
    date: datetime | None = None,
) -> bytes:
    """The 花脸稿 from ``version_a`` to ``version_b``: a .docx with tracked changes by
    ``author`` at ``date`` (defaults: the newer version's author and save time), in the 正文
    styles; accepting all changes in Word gives ``version_b``, rejecting all ``version_a``."""
    comparison = compare(version_a, version_b)
    revisions = _Revisions(
        author if author is not None else version_b.author.name,
        date if date is not None else version_b.created_at,
    )
    return comparison_docx(comparison, revisions)


def comparison_docx(comparison: Comparison, revisions: _Revisions) -> bytes:
    """The .docx of an already computed :class:`Comparison` (see :func:`revision_docx`)."""
    document = body_docx.new_document()
    _track_revisions(document)
    for change in comparison.paragraphs:
        level = (change.new or change.old or BodyParagraph("")).level
        para = body_docx.add_paragraph(document, level)
        if change.op in (INSERT, DELETE):
            rpr = etree.SubElement(para.find(w("pPr")), w("rPr"))
            rpr.append(revisions.mark("ins" if change.op == INSERT else "del"))
        if change.level_changed and change.old is not None:
            _style_change(para, change.old.level, revisions)
        if change.op == CHANGE and change.old_number != change.new_number:
            if change.old_number:
                para.append(revisions.runs(DELETE, change.old_number))
            if change.new_number:
                para.append(revisions.runs(INSERT, change.new_number))
        elif change.new_number or change.old_number:
            op = change.op if change.op != CHANGE else EQUAL
            para.append(revisions.runs(op, change.new_number or change.old_number))
        for segment in change.segments:
            para.append(revisions.runs(segment.op, segment.text))
    return body_docx.to_bytes(document)


def _style_change(para: Element, old_level: int, revisions: _Revisions) -> None:
    change = revisions.mark("pPrChange")
    old_ppr = etree.SubElement(change, w("pPr"))
    etree.SubElement(old_ppr, w("pStyle")).set(w("val"), body_docx.BODY_STYLE_IDS[old_level])
    para.find(w("pPr")).append(change)


def _track_revisions(document: body_docx.docx.document.Document) -> None:
    """Turn on 修订 so that further edits of the 花脸稿 are tracked too."""
    settings = document.settings.element
    if settings.find(w("trackRevisions")) is not None:
        return
    anchor = settings.find(w("defaultTabStop"))
    track = etree.Element(w("trackRevisions"))
    if anchor is not None:
        anchor.addprevious(track)
    else:
        settings.append(track)
