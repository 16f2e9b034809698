"""Organisation lookups for pickers in other systems: users and units by name."""

from __future__ import annotations

from flask import Response, jsonify

from services.org import directory
from web.api import bp, serialize
from web.api.payload import query_int, query_text

MAX_RESULTS = 50


@bp.get("/org/users")
def search_users() -> Response:
    unit_id = query_int("unit_id", 0) or None
    limit = min(max(query_int("limit", 20), 1), MAX_RESULTS)
    found = directory.search_users(query_text("q") or "", unit_id=unit_id, limit=limit)
    return jsonify([serialize.user(item) for item in found])


@bp.get("/org/units")
def search_units() -> Response:
    limit = min(max(query_int("limit", 20), 1), MAX_RESULTS)
    found = directory.search_units(query_text("q") or "", limit=limit)
    return jsonify([serialize.unit(item) for item in found])
