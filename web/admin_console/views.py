"""Definitions, versions, diffs and deploys."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from engine import api
from engine.definitions import repository
from engine.errors import DeployError
from services.db import db
from services.errors import NotFound, ValidationFailed
from services.org.roles import SYSADMIN
from web.admin_console import bp, queries
from web.security import roles_required
from web.studio import deploying

DEPLOYABLE = (".bpmn", ".dmn")
MAX_FILES = 20


@bp.get("/")
@roles_required(SYSADMIN)
def index() -> str:
    return render_template(
        "admin_console/index.html", definitions=repository.list_definitions(), problems=None
    )


def _uploaded() -> dict[str, bytes]:
    files = {}
    for upload in request.files.getlist("files")[: MAX_FILES + 1]:
        name = (upload.filename or "").rsplit("/", 1)[-1]
        if name and not name.lower().endswith(DEPLOYABLE):
            raise ValidationFailed("只能上传 .bpmn 或 .dmn 文件", errors={"files": name})
        if name:
            files[name] = upload.read()
    if not files or len(files) > MAX_FILES:
        raise ValidationFailed(
            f"请选择 1 至 {MAX_FILES} 个流程文件", errors={"files": "请选择流程文件"}
        )
    return files


@bp.post("/deploy")
@roles_required(SYSADMIN)
def deploy() -> Response | tuple[str, int]:
    comment = request.form.get("comment", "").strip()
    try:
        deployed = deploying.deploy(_uploaded(), actor_id=g.user.id, comment=comment, via="admin")
    except DeployError as exc:
        db.session.commit()  # keeps only the audit record of the refused deploy
        definitions = repository.list_definitions()
        page = render_template(
            "admin_console/index.html", definitions=definitions, problems=exc.messages
        )
        return page, 422
    db.session.commit()
    for item in deployed:
        note = "" if item.created else "（内容与最新版本相同，未产生新版本）"
        flash(f"已部署 {item.name}（{item.key}）v{item.version}{note}", "success")
    return redirect(url_for("admin_console.definition", key=deployed[0].key))


@bp.get("/processes/<key>")
@roles_required(SYSADMIN)
def definition(key: str) -> str:
    versions = repository.list_versions(key)
    if not versions:
        raise NotFound(f"流程 {key} 尚未部署")
    return render_template(
        "admin_console/definition.html",
        key=key,
        name=versions[-1].name,
        versions=queries.version_rows(versions),
        instances=queries.open_instances(key, request.args.get("version", type=int)),
        failed_timers=queries.failed_timers(key),
        limit=queries.LIST_LIMIT,
    )


@bp.get("/processes/<key>/diff")
@roles_required(SYSADMIN)
def diff(key: str) -> str:
    old = api.version_id_for(key, request.args.get("from", 0, type=int))
    new = api.version_id_for(key, request.args.get("to", 0, type=int))
    return render_template(
        "admin_console/diff.html",
        key=key,
        old=repository.get_version(old),
        new=repository.get_version(new),
        diff=api.diff_versions(old, new),
    )


@bp.post("/versions/<int:version_id>/redeploy")
@roles_required(SYSADMIN)
def redeploy(version_id: int) -> Response:
    version = repository.get_version(version_id)
    files = {name: text.encode("utf-8") for name, text in version.files.items()}
    comment = f"重新部署 v{version.version}"
    deployed = deploying.deploy(files, actor_id=g.user.id, comment=comment, via="admin")
    db.session.commit()
    for item in deployed:
        flash(f"已重新部署 {item.name}（{item.key}），当前最新版本 v{item.version}", "success")
    return redirect(url_for("admin_console.definition", key=version.key))
