"""我的签名: a user uploads the handwritten signature that their opinions will carry."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from services.config import current_settings
from services.db import db
from services.errors import NotFound, ValidationFailed
from services.files import policy, signatures
from web.files import bp
from web.files.responses import file_response
from web.security import login_required


def _page(error: str | None = None, status: int = 200) -> tuple[str, int]:
    current = signatures.current_signature(g.user.id)
    settings = current_settings()
    page = render_template("files/signature.html", current=current, error=error, settings=settings)
    return page, status


@bp.get("/signature")
@login_required
def signature() -> tuple[str, int]:
    return _page()


@bp.post("/signature")
@login_required
def signature_upload() -> Response | tuple[str, int]:
    upload = request.files.get("signature")
    if upload is None or not upload.filename:
        return _page("请选择签名图片", 422)
    limit_mb = current_settings().signature_max_kb / 1024
    content = policy.read_limited(upload.stream, limit_mb)
    try:
        if content is None:
            raise ValidationFailed(
                f"签名图片超过 {current_settings().signature_max_kb} KB 的大小限制"
            )
        signatures.set_signature(g.user.id, content)
    except ValidationFailed as exc:
        db.session.rollback()
        return _page(exc.message, 422)
    db.session.commit()
    flash("签名已保存，此后您签署的意见将附上该签名。", "success")
    return redirect(url_for("files.signature"))


@bp.get("/signature/image")
@login_required
def my_signature_image() -> Response:
    current = signatures.current_signature(g.user.id)
    if current is None:
        raise NotFound("您还没有上传手写签名。")
    return file_response(current, inline=True)
