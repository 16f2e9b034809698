"""流程设计 (analyst studio): open, edit, validate and deploy BPMN in the bpmn-js modeler.

Analysts and system administrators only. Edits are saved as private drafts in the database;
nothing is ever written into processes/ or bpmn-models/ from the web. Deploying creates a new
version through the engine's full validation and is audited.
"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("studio", __name__, url_prefix="/studio")

from web.studio import forms, views  # noqa: E402, F401  (routes register on bp)
