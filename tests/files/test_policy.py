"""Upload rules: the kind comes from the bytes, must be allowed and match the name; size limits;
names are made safe."""

from __future__ import annotations

import pytest

from services.errors import ValidationFailed
from services.files import policy
from services.files.sniff import sniff
from tests.files.helpers import DOCX, EXE, OFD, PDF, XLSX, ZIP, image_bytes

OLE_DOC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500) + "WordDocument".encode("utf-16-le")
OLE_XLS = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500) + "Workbook".encode("utf-16-le")


@pytest.mark.parametrize(
    ("content", "kind"),
    [
        (PDF, "pdf"),
        (DOCX, "docx"),
        (XLSX, "xlsx"),
        (OFD, "ofd"),
        (ZIP, "zip"),
        (OLE_DOC, "doc"),
        (OLE_XLS, "xls"),
        (image_bytes("PNG"), "png"),
        (image_bytes("JPEG"), "jpg"),
        ("会议纪要\r\n第二行".encode(), "txt"),
        ("会议纪要".encode("gb18030"), "txt"),
        (EXE, None),
        (b"PK\x03\x04 not really a zip", None),
    ],
)
def test_kind_is_told_from_the_bytes(content: bytes, kind: str | None) -> None:
    found = sniff(content)
    assert (found.name if found else None) == kind


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "通知.pdf",
            EXE,
            "不允许上传文件「通知.pdf」：只能上传 .pdf、.docx、.doc、.xlsx、.xls、.ofd、"
            ".jpg、.png、.zip、.txt 类型的文件",
        ),
        ("请示.docx", PDF, "文件「请示.docx」的内容是PDF 文档，与扩展名不符"),
        ("空.txt", b"", "文件「空.txt」是空文件"),
        ("大.pdf", PDF + b"0" * (1024 * 1024), "文件「大.pdf」超过 1 MB 的大小限制"),
    ],
)
def test_refused(app, name: str, content: bytes, message: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        policy.check(name, content, limit_mb=1)
    assert caught.value.message == message


def test_accepted_file_carries_kind_and_digest(app) -> None:
    checked = policy.check("C:\\材料\\汇总表.XLSX", XLSX)
    assert (checked.filename, checked.kind.name, checked.size) == ("汇总表.XLSX", "xlsx", len(XLSX))
    assert len(checked.sha256) == 64


def test_types_come_from_the_settings(app, monkeypatch) -> None:
    from dataclasses import replace

    from services import config

    narrowed = replace(config.current_settings(), attachment_types="pdf")
    monkeypatch.setattr(config, "_installed", narrowed)
    with pytest.raises(ValidationFailed, match=r"只能上传 \.pdf 类型的文件"):
        policy.check("a.png", image_bytes("PNG"))
    assert policy.check("a.pdf", PDF).kind.name == "pdf"


def test_field_limit_is_stricter_never_wider(app) -> None:
    assert policy.size_limit(None) == 20
    assert policy.size_limit(5) == 5
    assert policy.size_limit(500) == 20


@pytest.mark.parametrize(
    ("given", "safe"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\张三\\请示.pdf", "请示.pdf"),
        ('a"b;c\r\n.pdf', "abc.pdf"),
        ("...", "附件"),
        ("长" * 200 + ".docx", "长" * 115 + ".docx"),
    ],
)
def test_names_are_made_safe(given: str, safe: str) -> None:
    assert policy.sanitize_filename(given) == safe
