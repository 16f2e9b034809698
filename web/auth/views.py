"""Routes of the auth blueprint: /login, /logout, /password and the first-run /setup."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import abort, flash, g, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from services.audit import log as audit
from services.auth import accounts, passwords, sessions
from services.auth import login as login_service
from services.db import db
from services.errors import AuthenticationFailed, ValidationFailed
from services.org import grants
from web.auth import bp
from web.auth.hooks import COOKIE_FIELD, client_agent, client_ip
from web.security import login_required


def safe_next(target: str | None) -> str:
    """``target`` when it is a path on this site, else the home page (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return url_for("portal.home")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return url_for("portal.home")
    return target.rstrip("?")


def _fresh_cookie_session() -> None:
    """Empty the cookie session; Flask-WTF caches the CSRF token in ``g``, drop that copy too
    so that a form rendered afterwards carries a token the new session knows."""
    session.clear()
    g.pop("csrf_token", None)


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response | str:
    if not grants.has_system_admin():
        return redirect(url_for("auth.setup"))
    next_url = request.values.get("next")
    if g.user is not None:
        return redirect(safe_next(next_url))
    if request.method == "GET":
        return render_template("auth/login.html", next=next_url or "")
    username = request.form.get("username", "")
    try:
        user = login_service.authenticate(
            username, request.form.get("password", ""), client_ip(), client_agent()
        )
    except AuthenticationFailed as exc:
        db.session.commit()  # the failed attempt, a lockout and its alerts are evidence
        return render_template(
            "auth/login.html", error=exc.message, username=username, next=next_url or ""
        )
    must_change = accounts.needs_password_change(user)
    token = sessions.start_session(user, client_ip(), client_agent(), must_change=must_change)
    db.session.commit()
    _fresh_cookie_session()  # nothing from before the login survives
    session[COOKIE_FIELD] = token
    session.permanent = True
    if must_change:
        flash("首次登录、密码被重置或已过期：请先修改密码。", "error")
        return redirect(url_for("auth.change_password"))
    return redirect(safe_next(next_url))


@bp.post("/logout")
def logout() -> Response:
    token = session.get(COOKIE_FIELD)
    if token is not None and g.user is not None:
        sessions.end_session(token)
        audit.record("auth.logout", user=g.user, object_type="user", object_id=g.user.id)
        db.session.commit()
    _fresh_cookie_session()
    flash("您已安全退出。", "success")
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password() -> Response | str:
    policy = passwords.policy_text()
    if request.method == "GET":
        return render_template("auth/password.html", policy=policy, errors={})
    form = request.form
    if form.get("new_password", "") != form.get("confirm_password", ""):
        errors = {"confirm_password": "两次输入的新密码不一致"}
        return render_template("auth/password.html", policy=policy, errors=errors)
    try:
        accounts.change_password(g.user, form.get("old_password", ""), form["new_password"])
    except ValidationFailed as exc:
        db.session.commit()  # keep the audit record of the failed attempt
        return render_template("auth/password.html", policy=policy, errors=exc.errors)
    db.session.commit()
    flash("密码已修改。", "success")
    return redirect(url_for("portal.home"))


@bp.route("/setup", methods=["GET", "POST"])
def setup() -> Response | str:
    """First run only: create the system administrator; afterwards this page does not exist."""
    if grants.has_system_admin():
        abort(404)
    policy = passwords.policy_text()
    if request.method == "GET":
        return render_template("auth/setup.html", policy=policy, errors={}, form={})
    form = request.form
    if form.get("password", "") != form.get("password2", ""):
        errors = {"password2": "两次输入的密码不一致"}
        return render_template("auth/setup.html", policy=policy, errors=errors, form=form)
    try:
        accounts.create_admin(
            form.get("username", "").strip(), form.get("name", "").strip(), form["password"]
        )
    except ValidationFailed as exc:
        db.session.rollback()
        return render_template("auth/setup.html", policy=policy, errors=exc.errors, form=form)
    db.session.commit()
    flash("系统管理员已创建，请使用新账号登录。", "success")
    return redirect(url_for("auth.login"))
