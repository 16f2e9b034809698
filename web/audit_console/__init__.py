"""PLACEHOLDER blueprint, replaced by its real implementation."""

from flask import Blueprint

bp = Blueprint("audit_console", __name__)


@bp.get("/audit_console")
def index() -> str:
    return "placeholder"
