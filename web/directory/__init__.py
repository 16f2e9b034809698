"""PLACEHOLDER blueprint, replaced by its real implementation."""

from flask import Blueprint

bp = Blueprint("directory", __name__)


@bp.get("/directory")
def index() -> str:
    return "placeholder"
