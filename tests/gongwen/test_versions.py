"""正文 versions: numbered saves with author and time, sanitising, .docx upload checks, heading
levels from HTML and from Word files, the downloadable .docx and the 定稿."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta

import docx
import pytest
from lxml import etree
from sqlalchemy import select

from services import clock
from services.audit.models import AuditEvent
from services.db import db
from services.documents import redhead
from services.documents.model import BodyParagraph
from services.errors import Conflict, NotFound, ValidationFailed
from services.gongwen import body, documents, versions
from services.gongwen.models import BodyVersion
from tests.gongwen.conftest import Draft, make_draft

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"

STRUCTURED = (
    "<h1>一、总体要求</h1>"
    "<p>各单位要<strong>高度重视</strong>冬季安全生产工作。</p>"
    "<h2>（一）压实责任</h2>"
    "<p data-level='3'>1．落实主体责任。</p>"
    "<h4>(1) 每周检查一次</h4>"
    "<h1>二、工作措施</h1>"
    "<p>请于12月20日前报送。</p>"
)
EXPECTED = [
    BodyParagraph("总体要求", 1),
    BodyParagraph("各单位要高度重视冬季安全生产工作。", 0),
    BodyParagraph("压实责任", 2),
    BodyParagraph("落实主体责任。", 3),
    BodyParagraph("每周检查一次", 4),
    BodyParagraph("工作措施", 1),
    BodyParagraph("请于12月20日前报送。", 0),
]


def _word_file(paragraphs: list[tuple[str, str | None]]) -> bytes:
    """A .docx as Word writes it with python-docx: (text, built-in style name or None)."""
    document = docx.Document()
    for text, style in paragraphs:
        document.add_paragraph(text, style=style)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _rezip(data: bytes, *, drop: str = "", add: dict[str, bytes] | None = None) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            if item.filename != drop:
                target.writestr(item, source.read(item.filename))
        for name, content in (add or {}).items():
            target.writestr(name, content)
    return out.getvalue()


def test_every_save_is_a_numbered_version_with_author_and_time(draft: Draft, frozen_clock):
    document_id = draft.document.id
    first = versions.save_html_version(document_id, "<p>初稿</p>", author_id=draft.drafter.id)
    saved_first = clock.now()
    frozen_clock.advance(minutes=30)
    upload = _word_file([("核稿修改", None)])
    second = versions.save_docx_version(
        document_id,
        upload,
        author_id=draft.reviewer.id,
        comment="核稿意见已改",
        filename="正文.docx",
    )
    frozen_clock.advance(minutes=5)
    third = versions.save_html_version(document_id, "<p>三稿</p>", author_id=draft.drafter.id)
    db.session.commit()
    db.session.expire_all()

    found = versions.versions(document_id)
    assert [v.number for v in found] == [1, 2, 3]
    assert [v.id for v in found] == [first.id, second.id, third.id]
    assert [v.author.name for v in found] == ["曹娜", "杜俊", "曹娜"]
    assert [v.kind for v in found] == ["html", "docx", "html"]
    assert [clock.as_utc(v.created_at) for v in found] == [
        saved_first,
        saved_first + timedelta(minutes=30),
        saved_first + timedelta(minutes=35),
    ]
    assert found[1].comment == "核稿意见已改"
    assert found[1].docx == upload and found[1].html is None
    assert versions.get_version(second.id, document_id=document_id).number == 2
    assert versions.latest_version(document_id).number == 3


def test_numbers_are_per_document(draft: Draft):
    other = make_draft("另一份通知")
    versions.save_html_version(draft.document.id, "<p>甲</p>", author_id=draft.drafter.id)
    versions.save_html_version(draft.document.id, "<p>乙</p>", author_id=draft.drafter.id)
    mine = versions.save_html_version(other.document.id, "<p>丙</p>", author_id=other.drafter.id)
    assert mine.number == 1
    with pytest.raises(NotFound):
        versions.get_version(mine.id, document_id=draft.document.id)
    with pytest.raises(NotFound):
        versions.save_html_version(999_999, "<p>丁</p>", author_id=draft.drafter.id)


def test_sanitising_removes_scripts_and_event_handlers(draft: Draft):
    dirty = (
        '<h1 onclick="steal()">一、标题</h1>'
        "<p>正文<script>alert('x')</script><img src=x onerror=alert(1)>"
        '<a href="javascript:alert(2)">链接</a><span style="color:red">红字</span></p>'
        '<iframe src="https://evil.example"></iframe><style>p{}</style>'
    )
    version = versions.save_html_version(draft.document.id, dirty, author_id=draft.drafter.id)
    stored = version.html or ""
    for bad in ("script", "alert", "onerror", "onclick", "<img", "javascript", "iframe", "style"):
        assert bad not in stored
    assert stored == "<h1>一、标题</h1><p>正文链接红字</p>"
    assert versions.body_paragraphs(version) == [
        BodyParagraph("标题", 1),
        BodyParagraph("正文链接红字", 0),
    ]


def test_empty_or_script_only_html_is_refused(draft: Draft):
    with pytest.raises(ValidationFailed) as caught:
        versions.save_html_version(
            draft.document.id, "<script>x()</script><p> </p>", author_id=draft.drafter.id
        )
    assert caught.value.errors == {"html": "正文不能为空"}
    assert versions.versions(draft.document.id) == []


def test_html_heading_levels_strip_typed_numbering(draft: Draft):
    version = versions.save_html_version(draft.document.id, STRUCTURED, author_id=draft.drafter.id)
    assert versions.body_paragraphs(version) == EXPECTED


def test_html_lists_tables_and_line_breaks_become_paragraphs():
    clean = body.sanitise_html(
        "<ul><li>甲项</li><li>乙项<br>续行</li></ul>"
        "<table><tr><th>单位</th><th>人数</th></tr><tr><td>一科</td><td>3</td></tr></table>"
    )
    assert body.html_paragraphs(clean) == [
        BodyParagraph("甲项"),
        BodyParagraph("乙项"),
        BodyParagraph("续行"),
        BodyParagraph("单位　人数"),
        BodyParagraph("一科　3"),
    ]


def test_heading_that_skips_a_level_stays_plain_text_as_typed():
    clean = body.sanitise_html("<p>正文</p><h3>1.第一项</h3><h1>一、总则</h1><h3>1.细则</h3>")
    assert body.html_paragraphs(clean) == [
        BodyParagraph("正文"),
        BodyParagraph("1.第一项"),
        BodyParagraph("总则", 1),
        BodyParagraph("1.细则"),
    ]


def test_docx_levels_from_word_heading_styles(draft: Draft):
    upload = _word_file(
        [
            ("一、总体要求", "Heading 1"),
            ("各单位要高度重视冬季安全生产工作。", None),
            ("（一）压实责任", "Heading 2"),
            ("1.落实主体责任。", "Heading 3"),
            ("(1) 每周检查一次", "Heading 4"),
            ("工作措施", "Heading 1"),
            ("请于12月20日前报送。", None),
            ("", None),
        ]
    )
    version = versions.save_docx_version(draft.document.id, upload, author_id=draft.drafter.id)
    assert versions.body_paragraphs(version) == EXPECTED


def test_docx_levels_from_typed_numbering_only():
    upload = _word_file(
        [
            ("一、总体要求", None),
            ("各单位要高度重视冬季安全生产工作。", None),
            ("（一）压实责任", None),
            ("1．落实主体责任。", None),
            ("（1）每周检查一次", None),
            ("二、工作措施", None),
            ("请于12月20日前报送。", None),
            ("2025年是关键之年，1.5倍于去年。", None),
        ]
    )
    assert body.docx_paragraphs(upload) == [
        *EXPECTED,
        BodyParagraph("2025年是关键之年，1.5倍于去年。"),
    ]


def test_docx_outline_level_and_tracked_changes_accepted():
    document = docx.Document()
    heading = document.add_paragraph("总体要求")
    ppr = heading._p.get_or_add_pPr()
    etree.SubElement(ppr, f"{W}outlineLvl").set(f"{W}val", "0")
    para = document.add_paragraph("保留")
    deleted = etree.SubElement(para._p, f"{W}del")
    run = etree.SubElement(deleted, f"{W}r")
    etree.SubElement(run, f"{W}delText").text = "删掉的"
    inserted = etree.SubElement(para._p, f"{W}ins")
    run = etree.SubElement(inserted, f"{W}r")
    etree.SubElement(run, f"{W}t").text = "新加的"
    out = io.BytesIO()
    document.save(out)
    assert body.docx_paragraphs(out.getvalue()) == [
        BodyParagraph("总体要求", 1),
        BodyParagraph("保留新加的"),
    ]


@pytest.mark.parametrize(
    ("content", "filename", "message"),
    [
        (b"", "正文.docx", "请选择要上传的正文文件"),
        (b"not a zip at all", "正文.docx", "不是有效的 Word 文档（.docx），文件可能已损坏"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "正文.doc", "不支持旧版 .doc"),
        (None, "正文.docm", "不接受含宏的文档（.docm）"),
        (None, "正文.pdf", "只能上传 Word 文档（.docx）"),
        ("no-document", "正文.docx", "缺少 word/document.xml"),
        ("macro", "正文.docx", "不接受含宏的文档（.docm）"),
        ("bad-xml", "正文.docx", "正文部件无法读取"),
        ("huge", "正文.docx", "文件过大，正文文件不能超过 20 MB"),
    ],
)
def test_docx_upload_validation_errors(draft: Draft, content, filename, message):
    good = _word_file([("正文", None)])
    data = {
        None: good,
        "no-document": _rezip(good, drop="word/document.xml"),
        "macro": _rezip(good, add={"word/vbaProject.bin": b"\0" * 64}),
        "bad-xml": _rezip(good, drop="word/document.xml", add={"word/document.xml": b"<w:doc"}),
        "huge": good + b"\0" * body.MAX_DOCX_BYTES,
    }.get(content, content)
    with pytest.raises(ValidationFailed) as caught:
        versions.save_docx_version(
            draft.document.id, data, author_id=draft.drafter.id, filename=filename
        )
    assert message in caught.value.message
    assert caught.value.errors["file"] == caught.value.message
    assert versions.versions(draft.document.id) == []


def test_html_version_downloads_as_gbt9704_docx(draft: Draft):
    version = versions.save_html_version(draft.document.id, STRUCTURED, author_id=draft.drafter.id)
    data = versions.to_docx(version)
    opened = docx.Document(io.BytesIO(data))
    texts = [(p.text, p.style.name) for p in opened.paragraphs]
    assert texts == [
        ("一、总体要求", "OA-一级标题"),
        ("各单位要高度重视冬季安全生产工作。", "OA-正文"),
        ("（一）压实责任", "OA-二级标题"),
        ("1.落实主体责任。", "OA-三级标题"),
        ("（1）每周检查一次", "OA-四级标题"),
        ("二、工作措施", "OA-一级标题"),
        ("请于12月20日前报送。", "OA-正文"),
    ]
    assert any(r.bold and r.text == "高度重视" for r in opened.paragraphs[1].runs)
    fonts = _east_asian_fonts(data)
    assert fonts["OABody"] == fonts["OAHeading3"] == fonts["OAHeading4"] == "仿宋_GB2312"
    assert (fonts["OAHeading1"], fonts["OAHeading2"]) == ("黑体", "楷体_GB2312")
    assert fonts["default"] == "仿宋_GB2312"
    section = opened.sections[0]
    assert round(section.page_width.mm) == 210 and round(section.left_margin.mm) == 28
    # Downloaded, edited in Word and uploaded again, the levels come back.
    assert body.docx_paragraphs(data) == EXPECTED


def _east_asian_fonts(data: bytes) -> dict[str, str]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        styles = etree.fromstring(archive.read("word/styles.xml"))
    fonts = {}
    for style in styles.iter(f"{W}style"):
        node = style.find(f"{W}rPr/{W}rFonts")
        if node is not None and node.get(f"{W}eastAsia"):
            fonts[style.get(f"{W}styleId")] = node.get(f"{W}eastAsia")
    sizes = {s.get(f"{W}styleId"): s.find(f"{W}rPr/{W}sz") for s in styles.iter(f"{W}style")}
    assert sizes["OABody"].get(f"{W}val") == "32"  # 三号, 16 pt
    default = styles.find(f"{W}docDefaults/{W}rPrDefault/{W}rPr/{W}rFonts")
    fonts["default"] = default.get(f"{W}eastAsia")
    return fonts


def test_uploaded_docx_downloads_unchanged(draft: Draft):
    upload = _word_file([("原样下载", None)])
    version = versions.save_docx_version(draft.document.id, upload, author_id=draft.drafter.id)
    assert versions.to_docx(version) == upload


def test_one_final_version_kept_separately(draft: Draft):
    document_id = draft.document.id
    first = versions.save_html_version(document_id, STRUCTURED, author_id=draft.drafter.id)
    second = versions.save_html_version(document_id, "<p>二稿</p>", author_id=draft.reviewer.id)
    assert versions.final_version(document_id) is None
    versions.mark_final(document_id, first.id, actor_id=draft.reviewer.id)
    versions.mark_final(document_id, second.id, actor_id=draft.reviewer.id)
    versions.mark_final(document_id, first.id, actor_id=draft.reviewer.id)
    db.session.commit()
    db.session.expire_all()
    assert [v.is_final for v in versions.versions(document_id)] == [True, False]
    assert versions.final_version(document_id).id == first.id
    stored = versions.final_file(document_id)
    assert stored is not None and stored.filename == "定稿（第1版）.docx"
    assert body.docx_paragraphs(stored.content) == EXPECTED
    # Later saves do not move the 定稿, and the generator prints it rather than the newest.
    versions.save_html_version(document_id, "<p>三稿</p>", author_id=draft.drafter.id)
    model = documents.to_render_model(draft.document)
    assert model.body == EXPECTED
    assert redhead.render(model)[:2] == b"PK"
    with pytest.raises(NotFound):
        versions.mark_final(document_id, 999_999, actor_id=draft.reviewer.id)
    assert db.session.query(BodyVersion).filter_by(is_final=True).count() == 1


def test_saves_and_final_are_audited(draft: Draft):
    first = versions.save_html_version(draft.document.id, "<p>甲</p>", author_id=draft.drafter.id)
    versions.mark_final(draft.document.id, first.id, actor_id=draft.reviewer.id)
    events = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.object_id == str(draft.document.id))
        .order_by(AuditEvent.seq)
    ).all()
    assert [(e.action, e.username, e.detail["version"]) for e in events] == [
        ("gongwen.body_saved", draft.drafter.username, 1),
        ("gongwen.body_final", draft.reviewer.username, 1),
    ]


@pytest.mark.parametrize(
    ("status", "save_refused", "final_refused"),
    [("reviewing", False, False), ("signed", True, False), ("issued", True, True)],
)
def test_body_is_locked_after_signing(draft: Draft, status, save_refused, final_refused):
    first = versions.save_html_version(draft.document.id, "<p>甲</p>", author_id=draft.drafter.id)
    draft.document.status = status
    db.session.flush()
    save = versions.save_html_version
    if save_refused:
        with pytest.raises(Conflict, match="正文不能再修改"):
            save(draft.document.id, "<p>乙</p>", author_id=draft.drafter.id)
    else:
        assert save(draft.document.id, "<p>乙</p>", author_id=draft.drafter.id).number == 2
    if final_refused:
        with pytest.raises(Conflict, match="公文已印发，定稿不能再更换"):
            versions.mark_final(draft.document.id, first.id, actor_id=draft.reviewer.id)
    else:
        versions.mark_final(draft.document.id, first.id, actor_id=draft.reviewer.id)
        assert versions.final_version(draft.document.id).id == first.id
