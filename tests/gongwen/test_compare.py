"""Comparing 正文 versions: the structured diff, the HTML view and the 花脸稿 .docx with real
Word revision marks, read back as XML and by LibreOffice."""

from __future__ import annotations

import io
import os
import subprocess
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import docx
import pytest
from lxml import etree
from pypdf import PdfReader

from services.documents.convert import FONTS_CONF, docx_to_pdf
from services.documents.model import BodyParagraph as P
from services.gongwen import compare, versions
from services.gongwen.compare import DELETE, EQUAL, INSERT, Segment
from tests.gongwen.conftest import Draft

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
OLD = (
    "<h1>一、总体要求</h1>"
    "<p>各单位要加强组织领导，确保按时完成任务。</p>"
    "<p>本段在核稿时删除。</p>"
    "<h2>（一）压实责任</h2>"
    "<p>落实主体责任。</p>"
)
NEW = (
    "<h1>一、总体要求</h1>"
    "<p>各单位要切实加强组织领导，确保年底前完成任务。</p>"
    "<p>核稿时新增的一段要求。</p>"
    "<h1>二、压实责任</h1>"
    "<p>落实主体责任。</p>"
)
WHEN = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)


@pytest.fixture
def pair(draft: Draft):
    old = versions.save_html_version(draft.document.id, OLD, author_id=draft.drafter.id)
    new = versions.save_html_version(draft.document.id, NEW, author_id=draft.reviewer.id)
    return old, new


def test_word_level_diff_of_chinese_text():
    segments = compare.diff_words(
        "各单位要加强组织领导，确保按时完成任务。", "各单位要切实加强组织领导，确保年底前完成任务。"
    )
    assert (
        "".join(s.text for s in segments if s.op != INSERT)
        == "各单位要加强组织领导，确保按时完成任务。"
    )
    assert (
        "".join(s.text for s in segments if s.op != DELETE)
        == "各单位要切实加强组织领导，确保年底前完成任务。"
    )
    assert Segment(DELETE, "按时") in segments and Segment(INSERT, "年底前") in segments
    assert Segment(EQUAL, "组织领导，确保") in segments
    # Whole words, not single characters: 按时 is not split into 按 / 时.
    assert all(s.text != "按" for s in segments)


def test_structured_diff_of_paragraphs(pair):
    result = compare.compare(*pair)
    assert (result.old_version, result.new_version) == (1, 2)
    assert result.changed
    ops = [(p.op, (p.old or p.new).text) for p in result.paragraphs]
    assert ops == [
        ("equal", "总体要求"),
        ("change", "各单位要加强组织领导，确保按时完成任务。"),
        ("delete", "本段在核稿时删除。"),
        ("insert", "核稿时新增的一段要求。"),
        ("change", "压实责任"),
        ("equal", "落实主体责任。"),
    ]
    level = result.paragraphs[4]
    assert level.level_changed and (level.old_number, level.new_number) == ("（一）", "二、")
    old_chars = sum(len(p.text) for p in versions.body_paragraphs(pair[0]))
    new_chars = sum(len(p.text) for p in versions.body_paragraphs(pair[1]))
    assert result.count(INSERT) - result.count(DELETE) == new_chars - old_chars
    assert result.count(INSERT) >= len("切实年底前核稿时新增的一段要求。")
    assert result.count(DELETE) >= len("按时本段在核稿时删除。")
    same = compare.compare(pair[0], pair[0])
    assert not same.changed and same.count(INSERT) == same.count(DELETE) == 0


def test_paragraph_alignment_keeps_unrelated_paragraphs_apart():
    old = [P("甲乙丙丁"), P("第二段原文内容"), P("尾段")]
    new = [P("完全不同的新段落"), P("第二段原文内容有改动"), P("尾段")]
    ops = [(c.op, (c.old or c.new).text) for c in compare.compare_paragraphs(old, new)]
    assert ops == [
        ("delete", "甲乙丙丁"),
        ("insert", "完全不同的新段落"),
        ("change", "第二段原文内容"),
        ("equal", "尾段"),
    ]


def test_html_diff_marks_insertions_and_deletions(pair):
    html = compare.html_diff(*pair)
    assert html.startswith(
        '<div class="gw-diff"><p class="gw-diff-equal gw-level-1">一、总体要求</p>'
    )
    assert "各单位要<del>加强</del><ins>切实加强</ins>组织领导" in html or (
        "各单位要<ins>切实</ins>加强组织领导" in html
    )
    assert "<del>按时</del><ins>年底前</ins>" in html
    assert '<p class="gw-diff-delete gw-level-0"><del>本段在核稿时删除。</del></p>' in html
    assert '<p class="gw-diff-insert gw-level-0"><ins>核稿时新增的一段要求。</ins></p>' in html
    assert (
        '<p class="gw-diff-change gw-level-1"><del>（一）</del><ins>二、</ins>压实责任</p>' in html
    )


def test_html_diff_escapes_text_that_looks_like_markup(draft: Draft):
    old = versions.save_html_version(draft.document.id, "<p>原文</p>", author_id=draft.drafter.id)
    new = versions.save_html_version(
        draft.document.id,
        "<p>原文&lt;img src=x onerror=alert(1)&gt;</p>",
        author_id=draft.drafter.id,
    )
    html = compare.html_diff(old, new)
    assert "<img" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_html_version_compares_with_uploaded_docx(draft: Draft):
    old = versions.save_html_version(draft.document.id, OLD, author_id=draft.drafter.id)
    edited = docx.Document(io.BytesIO(versions.to_docx(old)))
    edited.paragraphs[2].text = "本段在Word核稿时删除。"
    out = io.BytesIO()
    edited.save(out)
    new = versions.save_docx_version(draft.document.id, out.getvalue(), author_id=draft.reviewer.id)
    changes = [c for c in compare.compare(old, new).paragraphs if c.op != EQUAL]
    assert len(changes) == 1 and changes[0].op == "change"
    assert changes[0].segments == (
        Segment(EQUAL, "本段在"),
        Segment(INSERT, "Word"),
        Segment(EQUAL, "核稿时删除。"),
    )


def _document_xml(data: bytes) -> etree._Element:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return etree.fromstring(archive.read("word/document.xml"))


def _text(para: etree._Element, keep: str) -> str:
    """Paragraph text with all changes accepted (keep="ins") or rejected (keep="del")."""
    parts = []
    for node in para.iter(f"{W}t", f"{W}delText"):
        inside = {a.tag for a in node.iterancestors()}
        if (keep == "ins" and node.tag == f"{W}t") or (keep == "del" and f"{W}ins" not in inside):
            parts.append(node.text)
    return "".join(parts)


def test_revision_docx_has_real_word_revision_marks(pair):
    data = compare.revision_docx(*pair, author="杜俊（核稿）", date=WHEN)
    root = _document_xml(data)
    marks = [m for m in root.iter(f"{W}ins", f"{W}del", f"{W}pPrChange")]
    assert marks, "no revision marks"
    assert {m.get(f"{W}author") for m in marks} == {"杜俊（核稿）"}
    assert {m.get(f"{W}date") for m in marks} == {"2026-12-01T09:30:00Z"}
    ids = [m.get(f"{W}id") for m in marks]
    assert len(set(ids)) == len(ids)
    inserted = ["".join(t.text for t in m.iter(f"{W}t")) for m in root.iter(f"{W}ins")]
    deleted = ["".join(t.text for t in m.iter(f"{W}delText")) for m in root.iter(f"{W}del")]
    assert {"年底前", "核稿时新增的一段要求。", "二、"} <= set(inserted)
    assert {"按时", "本段在核稿时删除。", "（一）"} <= set(deleted)
    assert not [t for m in root.iter(f"{W}del") for t in m.iter(f"{W}t")]  # only w:delText
    paragraphs = root.findall(f"{W}body/{W}p")
    mark_of = {_text(p, "del") or _text(p, "ins"): p.find(f"{W}pPr/{W}rPr/*") for p in paragraphs}
    assert mark_of["本段在核稿时删除。"].tag == f"{W}del"
    assert mark_of["核稿时新增的一段要求。"].tag == f"{W}ins"
    change = root.find(f".//{W}pPrChange/{W}pPr/{W}pStyle")
    assert change.get(f"{W}val") == "OAHeading2"
    # Accepting every change gives the new version, rejecting every change the old one.
    accepted = [_text(p, "ins") for p in paragraphs if p.find(f"{W}pPr/{W}rPr/{W}del") is None]
    rejected = [_text(p, "del") for p in paragraphs if p.find(f"{W}pPr/{W}rPr/{W}ins") is None]
    assert accepted == [
        "一、总体要求",
        "各单位要切实加强组织领导，确保年底前完成任务。",
        "核稿时新增的一段要求。",
        "二、压实责任",
        "落实主体责任。",
    ]
    assert rejected == [
        "一、总体要求",
        "各单位要加强组织领导，确保按时完成任务。",
        "本段在核稿时删除。",
        "（一）压实责任",
        "落实主体责任。",
    ]
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert b"<w:trackRevisions/>" in archive.read("word/settings.xml")


def test_revision_docx_defaults_to_newer_versions_author_and_time(pair):
    root = _document_xml(compare.revision_docx(*pair))
    mark = next(root.iter(f"{W}ins"))
    assert mark.get(f"{W}author") == "杜俊"
    assert mark.get(f"{W}date") == pair[1].created_at.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_libreoffice_reads_the_tracked_changes(pair, tmp_path: Path):
    data = compare.revision_docx(*pair, author="杜俊", date=WHEN)
    pdf = PdfReader(io.BytesIO(docx_to_pdf(data)))
    text = "".join(page.extract_text() for page in pdf.pages).replace("\n", "")
    for shown in ("年底前", "按时", "本段在核稿时删除。", "核稿时新增的一段要求。"):
        assert shown in text
    # In LibreOffice's own format the marks are tracked changes, not plain text.
    odt = _convert(data, "odt", tmp_path)
    with zipfile.ZipFile(io.BytesIO(odt)) as archive:
        content = archive.read("content.xml").decode()
    assert content.count("<text:changed-region") >= 8
    assert "<text:deletion>" in content and "<text:insertion>" in content
    assert "<dc:creator>杜俊</dc:creator>" in content
    assert "<dc:date>2026-12-01T09:30:00" in content


def _convert(data: bytes, target: str, work: Path) -> bytes:
    source = work / "rev.docx"
    source.write_bytes(data)
    env = {"FONTCONFIG_FILE": str(FONTS_CONF), "HOME": str(work), "PATH": os.environ["PATH"]}
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation=file://{work / 'profile'}",
            "--headless",
            "--convert-to",
            target,
            "--outdir",
            str(work),
            str(source),
        ],
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    return (work / f"rev.{target}").read_bytes()
