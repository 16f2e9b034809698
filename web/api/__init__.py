"""The REST API under /api/v1: JSON in and out, JWT bearer tokens, the pages' permission rules.

The API never reads the browser's session cookie: it is exempt from CSRF, so a cookie would let
any web page act for the user. Each request names its user with ``Authorization: Bearer``;
``web.api.auth`` loads it into ``g.user``. Resources live in small modules that attach their
routes to ``bp``; importing them here registers them.
"""

from __future__ import annotations

from flask import Blueprint

from web.extensions import csrf

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)

from web.api import (  # noqa: E402, F401  (routes register on bp)
    admin,
    auth,
    circulations,
    definitions,
    delegations,
    instances,
    intake,
    messages,
    openapi,
    operations,
    org,
    tasks,
)
