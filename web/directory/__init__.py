"""通讯录: the unit tree, each unit's people, search, and JSON lookups for the org pickers."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import Blueprint, g, jsonify, render_template, request
from werkzeug.wrappers import Response

from services.errors import OAError
from services.org import directory
from services.org.models import Department, Unit, User
from web.errors import STATUS_BY_KIND
from web.security import login_required

bp = Blueprint("directory", __name__, url_prefix="/directory")

API_LIMIT = 20


@bp.get("")
@login_required
def index() -> str:
    page = directory.browse(
        g.user, request.args.get("unit_id", type=int), request.args.get("q", "")
    )
    return render_template(
        "directory/index.html",
        page=page,
        mobile=functools.partial(_mobile_for_viewer, g.user),
    )


def _mobile_for_viewer(viewer: User, user: User) -> str | None:
    return directory.visible_mobile(user, viewer)


def api(view: Callable[..., Any]) -> Callable[..., Any]:
    """JSON endpoints answer JSON even for an anonymous caller or a domain error, because the
    org pickers call them with fetch() and cannot follow a redirect to the login page."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if g.get("user") is None:
            return _json_error(401, "unauthenticated", "请先登录。")
        try:
            return view(*args, **kwargs)
        except OAError as exc:
            return _json_error(STATUS_BY_KIND.get(exc.kind, 400), exc.code, exc.message)

    return wrapped


def _json_error(status: int, code: str, message: str) -> tuple[Response, int]:
    return jsonify(error={"code": code, "message": message}), status


@bp.get("/api/users")
@api
def api_users() -> Response:
    users = directory.search_users(
        request.args.get("q", ""), request.args.get("unit_id", type=int), limit=API_LIMIT
    )
    return jsonify(items=[_user_item(u) for u in users])


@bp.get("/api/units")
@api
def api_units() -> Response:
    units = directory.search_units(request.args.get("q", ""), limit=API_LIMIT)
    return jsonify(items=[_unit_item(u) for u in units])


@bp.get("/api/departments")
@api
def api_departments() -> Response:
    unit_id = request.args.get("unit_id", type=int)
    if unit_id is None:
        return jsonify(items=[])
    departments = directory.departments_of(unit_id)[:API_LIMIT]
    return jsonify(items=[_department_item(d) for d in departments])


def _user_item(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "name": user.name,
        "username": user.username,
        "unit": user.unit.short_name,
        "unit_id": user.unit_id,
        "department": user.department.name if user.department else None,
        "position": user.position.name,
    }


def _unit_item(unit: Unit) -> dict[str, Any]:
    return {
        "id": unit.id,
        "name": unit.name,
        "short_name": unit.short_name,
        "kind": unit.kind,
        "parent": unit.parent.short_name if unit.parent else None,
    }


def _department_item(department: Department) -> dict[str, Any]:
    return {
        "id": department.id,
        "name": department.name,
        "unit": department.unit.short_name,
        "unit_id": department.unit_id,
        "is_office": department.is_office,
    }
