"""Bearer authentication of every API request, and the token endpoints.

``POST /auth/token`` logs in with the same lockout and audit trail as the login page;
``/auth/refresh`` rotates a refresh token; ``/auth/revoke`` ends the login a token belongs to.
"""

from __future__ import annotations

from flask import Response, g, jsonify, request

from services.audit import log as audit
from services.auth import tokens
from services.db import db
from services.errors import AuthenticationFailed
from web.api import bp
from web.api.payload import json_body, required_text
from web.auth.hooks import client_agent, client_ip

# Endpoints reachable without a bearer token.
PUBLIC_ENDPOINTS = frozenset(
    {
        "api.issue_token",
        "api.refresh_token",
        "api.revoke_token",
        "api.spec",
        "api.intake_package",  # signed by the sender instead (web/api/intake.py)
        "api.intake_package_status",  # signed as well
    }
)


@bp.before_request
def load_bearer_user() -> None:
    g.user = None  # the session cookie does not count here (no CSRF protection on the API)
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        user = tokens.user_for_access_token(token.strip())
        g.user = user
        audit.reset_context(g.audit_token)
        context = audit.AuditContext(client_ip(), client_agent(), user.id, user.username)
        g.audit_token = audit.set_context(context)
    elif request.endpoint not in PUBLIC_ENDPOINTS:
        raise AuthenticationFailed("请提供有效的访问令牌（Authorization: Bearer）", code="no_token")


@bp.after_request
def announce_bearer(response: Response) -> Response:
    if response.status_code == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="api"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/auth/token")
def issue_token() -> tuple[Response, int]:
    body = json_body()
    username, password = required_text(body, "username"), required_text(body, "password")
    try:
        pair = tokens.issue_for_credentials(username, password, client_ip(), client_agent())
    except AuthenticationFailed:
        db.session.commit()  # the failed attempt and a lockout are evidence
        raise
    db.session.commit()
    return jsonify(_pair_json(pair)), 200


@bp.post("/auth/refresh")
def refresh_token() -> tuple[Response, int]:
    token = required_text(json_body(), "refresh_token")
    try:
        pair = tokens.refresh(token)
    except AuthenticationFailed:
        db.session.commit()  # a replayed refresh token revokes its family: keep that
        raise
    db.session.commit()
    return jsonify(_pair_json(pair)), 200


@bp.post("/auth/revoke")
def revoke_token() -> tuple[Response, int]:
    count = tokens.revoke(required_text(json_body(), "token"))
    db.session.commit()
    return jsonify({"revoked": count}), 200


def _pair_json(pair: tokens.TokenPair) -> dict[str, object]:
    return {
        "access_token": pair.access_token,
        "refresh_token": pair.refresh_token,
        "token_type": pair.token_type,
        "expires_in": pair.expires_in,
    }
