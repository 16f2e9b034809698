"""The 发文 page: its elements, its files, the 正文 versions (view, edit in the browser, upload
a .docx, download), the comparison of two versions (HTML and 花脸稿 .docx) and, once filed,
the archive record (档号, 保管期限, the 件's items) with its 校验.

Every route first checks that the user may see the document; saving a version also needs the
document to be in the user's hands (:func:`web.gongwen.scope.may_edit_body`).
"""

from __future__ import annotations

import io

from flask import g, redirect, render_template, request, send_file, url_for
from werkzeug.wrappers import Response

from services.archive import service as archive
from services.archive.models import RETENTIONS
from services.db import db
from services.errors import Forbidden, NotFound, ValidationFailed
from services.gongwen import compare, exchange, queries, versions
from services.gongwen.models import BodyVersion, GongwenDocument
from web.gongwen import bp, labels
from web.gongwen.body_view import editor_html, numbered_paragraphs, safe_html
from web.gongwen.scope import may_edit_body, visible_document
from web.gongwen.tracking import where_document_is
from web.office_types import DOCX
from web.security import login_required

EDIT_FORBIDDEN = "只有当前办理人（或拟稿阶段的拟稿人）可以修改正文。"


def _page(
    document: GongwenDocument,
    *,
    upload_errors: dict[str, str] | None = None,
    archive_check: archive.RecordCheck | None = None,
) -> str:
    return render_template(
        "gongwen/document.html",
        document=document,
        where=where_document_is(document),
        files=queries.document_files(document.id),
        versions=list(reversed(versions.versions(document.id))),
        may_edit=may_edit_body(document, g.user),
        recipients=exchange.recipient_statuses(document.id),
        upload_errors=upload_errors or {},
        labels=labels,
        archive=archive.record_for_document(document.id),
        archive_check=archive_check,
        retentions=RETENTIONS,
        item_labels=archive.ITEM_LABELS,
    )


@bp.get("/<int:document_id>")
@login_required
def document_page(document_id: int) -> str:
    return _page(visible_document(document_id, g.user))


@bp.post("/<int:document_id>/archive/verify")
@login_required
def verify_archive(document_id: int) -> str:
    """校验 the 件: recompute the items' hashes against the filing-time manifest (read only)."""
    document = visible_document(document_id, g.user)
    record = archive.record_for_document(document.id)
    if record is None:
        raise NotFound("该公文尚未归档", document_id=document_id)
    return _page(document, archive_check=archive.verify_record(record.id))


@bp.get("/<int:document_id>/files/<int:file_id>")
@login_required
def download_file(document_id: int, file_id: int) -> Response:
    document = visible_document(document_id, g.user)
    stored = queries.document_file(document.id, file_id)
    return send_file(
        io.BytesIO(stored.content),
        mimetype=_mimetype(stored.filename),
        as_attachment=True,
        download_name=stored.filename,
    )


def _mimetype(filename: str) -> str:
    if filename.lower().endswith(".pdf"):
        return "application/pdf"
    if filename.lower().endswith(".docx"):
        return DOCX
    return "application/octet-stream"


@bp.get("/<int:document_id>/versions/<int:version_id>")
@login_required
def view_version(document_id: int, version_id: int) -> str:
    document = visible_document(document_id, g.user)
    version = versions.get_version(version_id, document_id=document.id)
    return render_template(
        "gongwen/version.html",
        document=document,
        version=version,
        paragraphs=numbered_paragraphs(versions.body_paragraphs(version)),
    )


@bp.get("/<int:document_id>/versions/<int:version_id>/docx")
@login_required
def download_version(document_id: int, version_id: int) -> Response:
    document = visible_document(document_id, g.user)
    version = versions.get_version(version_id, document_id=document.id)
    return send_file(
        io.BytesIO(versions.to_docx(version)),
        mimetype=DOCX,
        as_attachment=True,
        download_name=versions.download_name(document, version),
    )


def _editable(document_id: int) -> GongwenDocument:
    document = visible_document(document_id, g.user)
    if not may_edit_body(document, g.user):
        raise Forbidden(EDIT_FORBIDDEN, document_id=document_id)
    return document


@bp.get("/<int:document_id>/body/edit")
@login_required
def edit_body(document_id: int) -> str:
    document = _editable(document_id)
    latest = versions.latest_version(document.id)
    return render_template(
        "gongwen/edit.html",
        document=document,
        latest=latest,
        html=editor_html(latest),
        errors={},
    )


@bp.post("/<int:document_id>/body")
@login_required
def save_body(document_id: int) -> Response | tuple[str, int]:
    document = _editable(document_id)
    html, comment = request.form.get("html", ""), request.form.get("comment", "")
    try:
        versions.save_html_version(document.id, html, author_id=g.user.id, comment=comment)
    except ValidationFailed as exc:
        db.session.rollback()
        page = render_template(
            "gongwen/edit.html",
            document=visible_document(document_id, g.user),
            latest=None,
            html=safe_html(html),
            errors=exc.errors or {"html": exc.message},
        )
        return page, 422
    db.session.commit()
    return redirect(url_for("gongwen.document_page", document_id=document_id))


@bp.post("/<int:document_id>/body/upload")
@login_required
def upload_body(document_id: int) -> Response | tuple[str, int]:
    document = _editable(document_id)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _page(document, upload_errors={"file": "请选择要上传的 Word 文档（.docx）"}), 422
    try:
        versions.save_docx_version(
            document.id,
            upload.read(),
            author_id=g.user.id,
            comment=request.form.get("comment", ""),
            filename=upload.filename,
        )
    except ValidationFailed as exc:
        db.session.rollback()
        document = visible_document(document_id, g.user)
        return _page(document, upload_errors=exc.errors or {"file": exc.message}), 422
    db.session.commit()
    return redirect(url_for("gongwen.document_page", document_id=document_id))


def _pair(document: GongwenDocument) -> tuple[BodyVersion, BodyVersion]:
    """The two versions named by ``?a=&b=``, older first."""
    ids = [request.args.get(name, "") for name in ("a", "b")]
    if not all(i.isdigit() for i in ids):
        raise ValidationFailed("请选择要比较的两个版本", errors={"a": "请选择两个版本"})
    found = [versions.get_version(int(i), document_id=document.id) for i in ids]
    old, new = sorted(found, key=lambda v: v.number)
    return old, new


@bp.get("/<int:document_id>/compare")
@login_required
def compare_versions(document_id: int) -> str:
    document = visible_document(document_id, g.user)
    old, new = _pair(document)
    comparison = compare.compare(old, new)
    return render_template(
        "gongwen/compare.html",
        document=document,
        old=old,
        new=new,
        comparison=comparison,
        diff_html=compare.comparison_html(comparison),
    )


@bp.get("/<int:document_id>/compare/docx")
@login_required
def compare_docx(document_id: int) -> Response:
    document = visible_document(document_id, g.user)
    old, new = _pair(document)
    title = "".join(c for c in document.title if c not in '\\/:*?"<>|')[:60] or "正文"
    return send_file(
        io.BytesIO(compare.revision_docx(old, new)),
        mimetype=DOCX,
        as_attachment=True,
        download_name=f"{title}（第{old.number}版与第{new.number}版对照）.docx",
    )
