"""Routes of the modeler: the file list, the modeler page, drafts, validate and deploy."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from flask import (
    Response,
    abort,
    g,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from werkzeug.wrappers import Response as BaseResponse

from engine.definitions import repository
from engine.errors import DeployError
from engine.forms import forms_dir
from services.config import PROJECT_ROOT
from services.db import db
from services.errors import ValidationFailed
from services.org.roles import ANALYST, SYSADMIN
from services.studio import drafts, sources
from web.security import roles_required
from web.studio import bp, deploying

DESIGNERS = (ANALYST, SYSADMIN)
VENDOR_DIR = PROJECT_ROOT / "node_modules" / "bpmn-js" / "dist"
VENDOR_FILES = {
    "bpmn-modeler.production.min.js",
    "assets/diagram-js.css",
    "assets/bpmn-js.css",
    "assets/bpmn-font/css/bpmn.css",
    "assets/bpmn-font/font/bpmn.woff2",
    "assets/bpmn-font/font/bpmn.woff",
    "assets/bpmn-font/font/bpmn.ttf",
    "assets/bpmn-font/font/bpmn.eot",
    "assets/bpmn-font/font/bpmn.svg",
}
MODDLE = PROJECT_ROOT / "bpmn-models" / "oa-moddle.json"


@bp.get("/vendor/<path:name>")
@roles_required(*DESIGNERS)
def vendor(name: str) -> Response:
    # Only the modeler bundle and its assets: node_modules holds far more than we should serve.
    if name not in VENDOR_FILES:
        abort(404)
    return send_from_directory(VENDOR_DIR, name, max_age=86400)


@bp.get("/")
@roles_required(*DESIGNERS)
def index() -> str:
    return render_template(
        "studio/index.html",
        files=sources.list_files(),
        definitions=repository.list_definitions(),
        drafts=drafts.list_drafts(g.user.id),
        form_keys=_form_keys(),
    )


def _form_keys() -> list[str]:
    return sorted(p.stem for p in Path(forms_dir()).glob("*.json"))


@bp.get("/model")
@roles_required(*DESIGNERS)
def model() -> str:
    return render_template("studio/modeler.html", doc=_document(request.args))


@bp.get("/latest/<key>")
@roles_required(*DESIGNERS)
def model_latest(key: str) -> BaseResponse:
    return redirect(url_for("studio.model", version=repository.latest_version(key).id))


def _document(args: Any) -> dict[str, Any]:
    """What the modeler opens: a draft, a deployed version's file or a file on disk."""
    if args.get("draft"):
        draft = drafts.get_draft(args.get("draft", type=int) or 0, g.user.id)
        return _doc(draft.xml, draft.filename, draft.name, draft.source, draft_id=draft.id)
    if args.get("version"):
        version = repository.get_version(args.get("version", type=int) or 0)
        name = args.get("file") or next(iter(sorted(version.files)))
        if name not in version.files:
            abort(404)
        label = f"{version.name} v{version.version}"
        return _doc(version.files[name], name, label, f"{version.key} v{version.version}")
    path = args.get("file", "")
    xml = sources.read_file(path)
    return _doc(xml, Path(path).name, Path(path).stem, path)


def _doc(
    xml: str, filename: str, name: str, source: str, *, draft_id: int | None = None
) -> dict[str, Any]:
    return {
        "xml": xml,
        "filename": filename,
        "name": name,
        "source": source,
        "draftId": draft_id,
        "moddle": json.loads(MODDLE.read_text(encoding="utf-8")),
        "urls": {
            "save": url_for("studio.save_draft"),
            "validate": url_for("studio.validate"),
            "deploy": url_for("studio.deploy"),
            "model": url_for("studio.model"),
        },
    }


@bp.post("/new")
@roles_required(*DESIGNERS)
def new() -> BaseResponse:
    key, name = request.form.get("key", "").strip(), request.form.get("name", "").strip()
    xml = sources.new_diagram(key, name)
    draft = drafts.save_draft(g.user.id, name=name, filename=f"{key}.bpmn", xml=xml, source="新建")
    db.session.commit()
    return redirect(url_for("studio.model", draft=draft.id))


def _payload() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("xml"), str):
        raise ValidationFailed("请求内容应为 JSON，并包含流程图 xml", errors={"xml": "缺少流程图"})
    return body


@bp.post("/drafts")
@roles_required(*DESIGNERS)
def save_draft() -> Response:
    body = _payload()
    draft = drafts.save_draft(
        g.user.id,
        name=str(body.get("name") or ""),
        filename=str(body.get("filename") or ""),
        xml=body["xml"],
        draft_id=_int_or_none(body.get("draft_id")),
        source=str(body.get("source") or ""),
    )
    db.session.commit()
    return _json({"id": draft.id, "name": draft.name, "message": "草稿已保存"})


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError) as exc:
        raise ValidationFailed("草稿编号不正确", errors={"draft_id": "草稿编号不正确"}) from exc


def _files(body: dict[str, Any]) -> dict[str, bytes]:
    filename = str(body.get("filename") or "")
    if not drafts.FILENAME.match(filename):
        raise ValidationFailed("文件名不正确", errors={"filename": "文件名应以 .bpmn 结尾"})
    return {filename: body["xml"].encode("utf-8")}


@bp.post("/validate")
@roles_required(*DESIGNERS)
def validate() -> Response:
    messages = deploying.problems(_files(_payload()))
    return _json({"ok": not messages, "messages": messages})


@bp.post("/deploy")
@roles_required(*DESIGNERS)
def deploy() -> Response:
    body = _payload()
    try:
        deployed = deploying.deploy(
            _files(body), actor_id=g.user.id, comment=str(body.get("comment") or ""), via="studio"
        )
    except DeployError as exc:
        db.session.commit()  # keeps only the audit record of the refused deploy
        return _json({"ok": False, "messages": deploying.messages_of(exc)}, 422)
    db.session.commit()
    versions = [
        {"key": d.key, "name": d.name, "version": d.version, "created": d.created} for d in deployed
    ]
    return _json({"ok": True, "deployed": versions}, 201)


def _json(body: dict[str, Any], status: int = 200) -> Response:
    return Response(json.dumps(body, ensure_ascii=False), status, mimetype="application/json")
