"""Process definitions: list, versions, and deploy by upload (sysadmin or analyst)."""

from __future__ import annotations

from flask import Response, g, jsonify, request

from engine import api
from engine.definitions import repository
from engine.errors import DeployError
from services.db import db
from services.errors import NotFound, ValidationFailed
from services.org.roles import ANALYST, SYSADMIN
from web.api import bp, serialize
from web.api.payload import query_int
from web.security import roles_required
from web.studio import deploying

MAX_FILES = 50


@bp.get("/process-definitions")
def list_definitions() -> Response:
    return jsonify([serialize.definition(item) for item in repository.list_definitions()])


@bp.get("/process-definitions/<key>/versions")
def list_versions(key: str) -> Response:
    versions = repository.list_versions(key)
    if not versions:
        raise NotFound(f"流程 {key} 尚未部署")
    return jsonify([serialize.version(item) for item in versions])


@bp.get("/process-definitions/<key>/diff")
@roles_required(SYSADMIN, ANALYST)
def diff_versions(key: str) -> Response:
    older, newer = query_int("from", 0), query_int("to", 0)
    if not older or not newer:
        raise ValidationFailed("请指定两个版本号", errors={"from": "from 与 to 均为必填的版本号"})
    diff = api.diff_versions(api.version_id_for(key, older), api.version_id_for(key, newer))
    return jsonify(serialize.view(diff))


@bp.post("/process-definitions")
@roles_required(SYSADMIN, ANALYST)
def deploy() -> tuple[Response, int]:
    files = _uploaded_files()
    comment = request.form.get("comment", "")[:500]
    try:
        deployed = deploying.deploy(files, actor_id=g.user.id, comment=comment, via="api")
    except DeployError as exc:
        # Validation fails before anything is stored; only the audit record of the refusal is kept.
        db.session.commit()
        return _deploy_errors(exc), 422
    db.session.commit()
    body = [{"key": d.key, "version": d.version, "created": d.created} for d in deployed]
    return jsonify(body), 201


def _uploaded_files() -> dict[str, bytes]:
    uploads = request.files.getlist("files")
    if not uploads:
        raise ValidationFailed(
            "请上传流程文件", errors={"files": "至少上传一个 .bpmn 或 .dmn 文件"}
        )
    if len(uploads) > MAX_FILES:
        raise ValidationFailed("文件过多", errors={"files": f"一次最多上传 {MAX_FILES} 个文件"})
    files = {}
    for upload in uploads:
        name = (upload.filename or "").rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
        if not name.endswith((".bpmn", ".dmn")):
            raise ValidationFailed(
                "文件类型不支持",
                errors={"files": f"{name or '未命名文件'} 不是 .bpmn 或 .dmn 文件"},
            )
        files[name] = upload.read()
    return files


def _deploy_errors(exc: DeployError) -> Response:
    errors = [
        {
            "file": m.file,
            "element_id": m.element_id,
            "element_name": m.element_name,
            "message": m.message,
        }
        for m in exc.messages
    ]
    body = {
        "error": {
            "code": exc.code,
            "message": "流程部署失败，请按提示修改后重新部署",
            "errors": errors,
        }
    }
    return jsonify(body)
