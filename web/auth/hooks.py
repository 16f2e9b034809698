"""Per-request loading of the login session into ``g.user`` and ``g.login_session``.

Expired sessions are dropped with a notice; a session flagged for a forced password change is
sent to the change-password page whatever it asks for.
"""

from __future__ import annotations

from flask import flash, g, redirect, request, session, url_for
from werkzeug.wrappers import Response

from services.audit import log as audit
from services.auth import sessions
from services.auth.models import LoginSession
from services.db import db
from web.auth import bp

COOKIE_FIELD = "auth_token"
# What a user who must change the password may still reach.
OPEN_DURING_FORCED_CHANGE = {"auth.change_password", "auth.logout", "static"}


def client_ip() -> str | None:
    """The client's address (ProxyFix, when configured, makes this the real client)."""
    return request.remote_addr


def client_agent() -> str | None:
    """The browser's User-Agent header, for the audit trail."""
    return request.user_agent.string or None


@bp.before_app_request
def load_login_session() -> Response | None:
    g.user = None
    g.login_session = None
    g.audit_token = audit.set_context(audit.AuditContext(client_ip(), client_agent()))
    if request.endpoint == "static":
        return None
    token = session.get(COOKIE_FIELD)
    if token is None:
        return None
    login_session = sessions.resolve_session(token)
    db.session.commit()  # the touch (or the deletion of an expired row) is kept
    if login_session is None:
        session.pop(COOKIE_FIELD, None)
        flash("会话已超时，请重新登录", "error")
        return None
    _adopt(login_session)
    return _forced_change_redirect()


def _adopt(login_session: LoginSession) -> None:
    user = login_session.user
    g.user, g.login_session = user, login_session
    context = audit.AuditContext(client_ip(), client_agent(), user.id, user.username)
    audit.reset_context(g.audit_token)
    g.audit_token = audit.set_context(context)


def _forced_change_redirect() -> Response | None:
    if not g.login_session.must_change or request.endpoint in OPEN_DURING_FORCED_CHANGE:
        return None
    flash("您的密码需要修改（首次登录、管理员重置或已过期），修改后方可继续使用。", "error")
    return redirect(url_for("auth.change_password"))


@bp.teardown_app_request
def forget_audit_context(_exc: BaseException | None) -> None:
    token = g.pop("audit_token", None)
    if token is not None:
        audit.reset_context(token)
