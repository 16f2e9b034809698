"""正文 versions: every save of the body (browser HTML or an uploaded .docx) is a numbered
version with its author and time; one version may be marked 定稿.

The 定稿 is kept separately as well: :func:`mark_final` stores its clean .docx as a
``final_docx`` :class:`DocumentFile`, so later edits of the draft never change what was settled.
Parsing and writing of the body itself live in :mod:`services.gongwen.body` and
:mod:`services.gongwen.body_docx`; this module is the storage API the pages call.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import delete, func, select

from services import clock
from services.audit import log as audit
from services.db import db
from services.documents.model import BodyParagraph
from services.errors import Conflict, NotFound, ValidationFailed
from services.gongwen import body, body_docx
from services.gongwen.models import BodyVersion, DocumentFile, GongwenDocument
from services.org.models import User

MAX_COMMENT = 200
FINAL_FILE_KIND = "final_docx"
# Once signed the 正文 is fixed; once issued the 定稿 is too.
BODY_LOCKED = ("signed", "registered", "issued", "archived", "void")
FINAL_LOCKED = ("issued", "archived", "void")
STATUS_WORDS = {
    "signed": "已签发",
    "registered": "已登记",
    "issued": "已印发",
    "archived": "已归档",
    "void": "已作废",
}


def save_html_version(
    document_id: int, html: str, *, author_id: int, comment: str = ""
) -> BodyVersion:
    """Save ``html`` (sanitised to the body whitelist) as the next version of the 正文."""
    clean = body.sanitise_html(html)
    if not body.html_paragraphs(clean):
        raise ValidationFailed("正文不能为空", errors={"html": "正文不能为空"})
    return _add(document_id, author_id, comment, kind="html", html=clean)


def save_docx_version(
    document_id: int,
    docx_bytes: bytes,
    *,
    author_id: int,
    comment: str = "",
    filename: str = "",
) -> BodyVersion:
    """Save an uploaded Word/WPS .docx as the next version, after checking it is a real,
    macro-free .docx within the size limit (errors in Chinese under ``file``)."""
    body.validate_docx(docx_bytes, filename)
    return _add(document_id, author_id, comment, kind="docx", docx=docx_bytes)


def _add(document_id: int, author_id: int, comment: str, **content: object) -> BodyVersion:
    document = _document(document_id)
    _check_unlocked(document, BODY_LOCKED, "正文不能再修改")
    author = db.session.get(User, author_id)
    if author is None:
        raise NotFound("用户不存在")
    comment = (comment or "").strip()
    if len(comment) > MAX_COMMENT:
        raise ValidationFailed("说明过长", errors={"comment": f"说明不能超过 {MAX_COMMENT} 字"})
    last = db.session.scalar(
        select(func.max(BodyVersion.number)).where(BodyVersion.document_id == document_id)
    )
    version = BodyVersion(
        document_id=document_id,
        number=(last or 0) + 1,
        author_id=author_id,
        created_at=clock.now(),
        comment=comment,
        is_final=False,
        **content,
    )
    db.session.add(version)
    db.session.flush()
    audit.record(
        "gongwen.body_saved",
        user=author,
        object_type="gongwen_document",
        object_id=document_id,
        detail={"version": version.number, "kind": version.kind},
    )
    return version


def versions(document_id: int) -> list[BodyVersion]:
    """All versions of the document's 正文, oldest (number 1) first."""
    return list(
        db.session.scalars(
            select(BodyVersion)
            .where(BodyVersion.document_id == document_id)
            .order_by(BodyVersion.number)
        )
    )


def get_version(version_id: int, *, document_id: int | None = None) -> BodyVersion:
    """The version with this id (of ``document_id`` when given), or :class:`NotFound`."""
    version = db.session.get(BodyVersion, version_id)
    if version is None or (document_id is not None and version.document_id != document_id):
        raise NotFound("正文版本不存在")
    return version


def latest_version(document_id: int) -> BodyVersion | None:
    """The newest version, or ``None`` before the first save."""
    found = versions(document_id)
    return found[-1] if found else None


def final_version(document_id: int) -> BodyVersion | None:
    """The version marked 定稿, if any."""
    return db.session.scalars(
        select(BodyVersion).where(
            BodyVersion.document_id == document_id, BodyVersion.is_final.is_(True)
        )
    ).first()


def mark_final(document_id: int, version_id: int, *, actor_id: int) -> BodyVersion:
    """Make ``version_id`` the one 定稿 of the document and keep its clean .docx as the
    ``final_docx`` file (replacing an earlier 定稿 file)."""
    _check_unlocked(_document(document_id), FINAL_LOCKED, "定稿不能再更换")
    version = get_version(version_id, document_id=document_id)
    for other in versions(document_id):
        other.is_final = other.id == version.id
    content = to_docx(version)
    db.session.execute(
        delete(DocumentFile).where(
            DocumentFile.document_id == document_id, DocumentFile.kind == FINAL_FILE_KIND
        )
    )
    db.session.add(
        DocumentFile(
            document_id=document_id,
            kind=FINAL_FILE_KIND,
            filename=f"定稿（第{version.number}版）.docx",
            content=content,
            sha256=hashlib.sha256(content).hexdigest(),
            size=len(content),
            created_at=clock.now(),
            created_by_id=actor_id,
        )
    )
    audit.record(
        "gongwen.body_final",
        user=db.session.get(User, actor_id),
        object_type="gongwen_document",
        object_id=document_id,
        detail={"version": version.number},
    )
    db.session.flush()
    return version


def final_file(document_id: int) -> DocumentFile | None:
    """The stored clean 定稿 .docx, if a version was marked final."""
    return db.session.scalars(
        select(DocumentFile).where(
            DocumentFile.document_id == document_id, DocumentFile.kind == FINAL_FILE_KIND
        )
    ).first()


def body_paragraphs(version: BodyVersion) -> list[BodyParagraph]:
    """The 正文 of ``version`` as the red-header generator's paragraphs (heading levels 0..4,
    typed numbering such as ``一、`` removed because the generator numbers headings)."""
    if version.kind == "docx":
        return body.docx_paragraphs(version.docx or b"")
    return body.html_paragraphs(version.html or "")


def to_docx(version: BodyVersion) -> bytes:
    """An editable .docx of ``version``: an uploaded file as it was, an HTML version written
    with the GB/T 9704 body fonts (仿宋_GB2312 三号, headings 黑体 / 楷体_GB2312)."""
    if version.kind == "docx":
        return version.docx or b""
    return body_docx.html_to_docx(version.html or "")


def download_name(document: GongwenDocument, version: BodyVersion) -> str:
    """File name for downloading ``version``: ``<标题>（第N版）.docx``."""
    title = "".join(c for c in document.title if c not in '\\/:*?"<>|')[:60] or "正文"
    return f"{title}（第{version.number}版）.docx"


def _document(document_id: int) -> GongwenDocument:
    document = db.session.get(GongwenDocument, document_id)
    if document is None:
        raise NotFound(f"公文（编号 {document_id}）不存在")
    return document


def _check_unlocked(document: GongwenDocument, locked: tuple[str, ...], what: str) -> None:
    if document.status in locked:
        raise Conflict(f"公文{STATUS_WORDS.get(document.status, '')}，{what}")
