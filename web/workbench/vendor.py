"""bpmn-js from node_modules (installed by ``make``), served read-only from a whitelist.

Only the navigated viewer bundle and its stylesheets and font leave node_modules; everything
else there is 404.
"""

from __future__ import annotations

from pathlib import Path

from flask import abort, send_from_directory
from werkzeug.wrappers import Response

from web.workbench import bp

BPMN_JS_DIST = Path(__file__).resolve().parents[2] / "node_modules" / "bpmn-js" / "dist"
VIEWER_BUNDLE = "bpmn-navigated-viewer.production.min.js"
ASSET_SUFFIXES = (".css", ".woff", ".woff2", ".ttf", ".eot", ".svg")
# ECharts (公文办理分析): only its minified bundle.
ECHARTS_DIST = Path(__file__).resolve().parents[2] / "node_modules" / "echarts" / "dist"
ECHARTS_FILES = ("echarts.min.js",)


def allowed(path: str) -> bool:
    """The viewer bundle, or a stylesheet or font under assets/ (no way out of the folder)."""
    if path == VIEWER_BUNDLE:
        return True
    parts = Path(path).parts
    return (
        len(parts) > 1
        and parts[0] == "assets"
        and ".." not in parts
        and path.endswith(ASSET_SUFFIXES)
    )


@bp.get("/vendor/bpmn-js/<path:path>")
def bpmn_js(path: str) -> Response:
    if not allowed(path):
        abort(404)
    return send_from_directory(BPMN_JS_DIST, path, max_age=86400)


@bp.get("/vendor/echarts/<path:path>")
def echarts_js(path: str) -> Response:
    if path not in ECHARTS_FILES:
        abort(404)
    return send_from_directory(ECHARTS_DIST, path, max_age=86400)
