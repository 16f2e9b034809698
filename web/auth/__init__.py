"""PLACEHOLDER blueprint, replaced by its real implementation."""

from flask import Blueprint

bp = Blueprint("auth", __name__)


@bp.get("/auth")
def login() -> str:
    return "placeholder"


@bp.post("/logout")
def logout() -> str:
    return "placeholder"


@bp.get("/password")
def change_password() -> str:
    return "placeholder"
