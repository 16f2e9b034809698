"""Access decorators for routes. ``g.user`` is loaded per request by the auth blueprint."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from flask import g, redirect, request, url_for

from services.errors import AuthenticationFailed, Forbidden

F = TypeVar("F", bound=Callable[..., Any])


def login_required(view: F) -> F:
    """Pages redirect to the login page; the API answers 401."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if g.get("user") is None:
            if request.path.startswith("/api/"):
                raise AuthenticationFailed("请先登录或提供有效的访问令牌。")
            return redirect(url_for("auth.login", next=request.full_path))
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def roles_required(*role_codes: str) -> Callable[[F], F]:
    """Allow only users holding one of ``role_codes`` (in any unit)."""

    def decorator(view: F) -> F:
        @functools.wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            held = {r.role_code for r in g.user.roles}
            if not held.intersection(role_codes):
                raise Forbidden("您没有执行此操作的权限。")
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator
