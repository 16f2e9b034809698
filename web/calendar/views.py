"""The 工作日历 page and its forms."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from services.audit import log as audit
from services.calendar import entries
from services.calendar.models import KINDS
from services.calendar.schedule import bundled_years
from services.db import db
from services.errors import ValidationFailed
from services.gongwen.documents import beijing_today
from services.org.roles import SYSADMIN
from web.calendar import bp
from web.security import roles_required

MAX_IMPORT_BYTES = 64 * 1024


def _year(raw: str | None) -> int:
    text = (raw or "").strip()
    if not text:
        return beijing_today().year
    if not text.isdigit():
        raise ValidationFailed("年度不正确", errors={"year": "年度应为四位数字，如 2026"})
    return entries.check_year(int(text))


def _page(year: int, errors: dict[str, str] | None = None, status: int = 200) -> tuple[str, int]:
    html = render_template(
        "calendar/index.html",
        view=entries.year_view(year),
        kinds=KINDS,
        bundled_years=bundled_years(),
        errors=errors or {},
        form=request.form,
        missing_years=entries.missing_years(beijing_today()),
    )
    return html, status


@bp.get("/")
@roles_required(SYSADMIN)
def index() -> tuple[str, int]:
    try:
        year = _year(request.args.get("year"))
    except ValidationFailed as exc:
        return _page(beijing_today().year, exc.errors, 422)
    return _page(year)


def _done(action: str, year: int, message: str, **detail: object) -> Response:
    audit.record(action, object_type="calendar_year", object_id=year, detail=detail)
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("calendar.index", year=year))


@bp.post("/days")
@roles_required(SYSADMIN)
def add_day() -> Response | tuple[str, int]:
    form = request.form
    try:
        row = entries.add_day(
            form.get("day", ""), form.get("kind", ""), form.get("name", ""), actor_id=g.user.id
        )
    except ValidationFailed as exc:
        db.session.rollback()
        return _page(_fallback_year(), exc.errors, 422)
    db.session.flush()
    message = f"已添加 {row.day} {KINDS[row.kind]}（{row.name}）"
    return _done("calendar.add", row.year, message, day=str(row.day), kind=row.kind, name=row.name)


def _fallback_year() -> int:
    try:
        return _year(request.form.get("year") or (request.form.get("day") or "")[:4])
    except ValidationFailed:
        return beijing_today().year


@bp.post("/days/<int:row_id>/delete")
@roles_required(SYSADMIN)
def delete_day(row_id: int) -> Response:
    row = entries.delete_day(row_id)
    message = f"已删除 {row.day}（{row.name}）"
    return _done("calendar.delete", row.year, message, day=str(row.day), kind=row.kind)


def _import_text() -> str:
    upload = request.files.get("file")
    if upload is not None and upload.filename:
        content = upload.read(MAX_IMPORT_BYTES + 1)
        if len(content) > MAX_IMPORT_BYTES:
            raise ValidationFailed("文件过大", errors={"text": "日历文件不能超过 64 KB"})
        try:
            return content.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValidationFailed(
                "编码不正确", errors={"text": "请使用 UTF-8 编码的文本或 JSON"}
            ) from None
    return request.form.get("text", "")


@bp.post("/import")
@roles_required(SYSADMIN)
def import_year() -> Response | tuple[str, int]:
    try:
        year = _year(request.form.get("year"))
        count = entries.import_year(year, _import_text(), actor_id=g.user.id)
    except ValidationFailed as exc:
        db.session.rollback()
        return _page(_fallback_year(), exc.errors, 422)
    return _done("calendar.import", year, f"已导入 {year} 年日历，共 {count} 天", count=count)


@bp.post("/load-bundled")
@roles_required(SYSADMIN)
def load_bundled() -> Response | tuple[str, int]:
    try:
        year = _year(request.form.get("year"))
        count = entries.load_bundled(year, actor_id=g.user.id)
    except ValidationFailed as exc:
        db.session.rollback()
        return _page(_fallback_year(), exc.errors, 422)
    message = f"已载入内置的 {year} 年国务院放假安排，共 {count} 天"
    return _done("calendar.load_bundled", year, message, count=count)
