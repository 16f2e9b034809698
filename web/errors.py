"""The one place where errors become HTTP responses: HTML for pages, JSON for the API.

Users never see a traceback: unexpected exceptions are logged and answered with a Chinese 500.
"""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from services.errors import OAError

log = logging.getLogger(__name__)

STATUS_BY_KIND = {
    "not_found": 404,
    "forbidden": 403,
    "conflict": 409,
    "validation": 422,
    "unauthenticated": 401,
    "error": 400,
}

HTTP_MESSAGES = {
    400: "请求有误，请检查后重试。",
    401: "请先登录。",
    403: "您没有执行此操作的权限。",
    404: "您访问的页面或对象不存在。",
    405: "不支持该请求方式。",
    409: "数据已被他人修改，请刷新后重试。",
    413: "上传的文件超过大小限制。",
    422: "提交的数据未通过校验。",
    429: "请求过于频繁，请稍后再试。",
    500: "系统内部错误，已记录，请稍后重试或联系管理员。",
}


def wants_json() -> bool:
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return (
        best == "application/json"
        and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]
    )


def error_response(status: int, message: str, code: str, **extra: object) -> Response:
    if wants_json():
        body = {"error": {"code": code, "message": message, **extra}}
        response = jsonify(body)
    else:
        response = Response(
            render_template("error.html", status=status, message=message, extra=extra)
        )
    response.status_code = status
    return response


def init_app(app: Flask) -> None:
    @app.errorhandler(OAError)
    def handle_domain_error(exc: OAError) -> Response:
        status = STATUS_BY_KIND.get(exc.kind, 400)
        extra = {"errors": exc.errors} if getattr(exc, "errors", None) else {}
        return error_response(status, exc.message, exc.code, **extra)

    @app.errorhandler(CSRFError)
    def handle_csrf(exc: CSRFError) -> Response:
        message = "页面已过期或来源不明（CSRF 校验失败），请刷新页面后重试。"
        return error_response(400, message, "csrf")

    @app.errorhandler(HTTPException)
    def handle_http(exc: HTTPException) -> Response:
        status = exc.code or 500
        return error_response(status, HTTP_MESSAGES.get(status, exc.name), f"http_{status}")

    @app.errorhandler(Exception)
    def handle_unexpected(exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500, HTTP_MESSAGES[500], "internal")
