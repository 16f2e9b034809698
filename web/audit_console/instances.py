"""One instance under audit: hash chain check, replay and the step-by-step data view.

``GET`` shows the chain verdict and the events; ``?seq=N`` opens event N with the data as of
it. ``POST .../replay`` re-executes the recorded inputs and shows the replay verdict (beside
the event that was open, if any). Every look and every replay is itself written to the audit
log.
"""

from __future__ import annotations

from flask import redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from engine import api
from services.audit import log as audit
from services.db import db
from services.org.roles import AUDITOR
from web.audit_console import bp, steps
from web.audit_console.criteria import instance_id_arg
from web.audit_console.events import process_names
from web.audit_console.kinds import kind_label
from web.security import roles_required
from web.workbench.history import user_names
from web.workbench.instance import STATUS_LABELS


@bp.get("/instances")
@roles_required(AUDITOR)
def open_instance() -> Response:
    """The 实例编号 box of 流程审计: go to that instance's page."""
    instance_id = instance_id_arg("id", required=True)
    return redirect(url_for("audit_console.instance", instance_id=instance_id))


@bp.get("/instances/<int:instance_id>")
@roles_required(AUDITOR)
def instance(instance_id: int) -> str:
    seq = request.args.get("seq", type=int)
    page = _render(instance_id, seq=seq, report=None)
    audit.record(
        "audit.instance_view",
        object_type="process_instance",
        object_id=instance_id,
        detail={"seq": seq} if seq else None,
    )
    db.session.commit()
    return page


@bp.post("/instances/<int:instance_id>/replay")
@roles_required(AUDITOR)
def replay(instance_id: int) -> str:
    report = api.replay_instance(instance_id)
    page = _render(instance_id, seq=request.form.get("seq", type=int), report=report)
    audit.record(
        "audit.instance_replay",
        object_type="process_instance",
        object_id=instance_id,
        result="success" if report.ok else "failure",
        detail={"status": report.status, "events": report.events_checked},
    )
    db.session.commit()
    return page


def _render(instance_id: int, *, seq: int | None, report: api.ReplayReport | None) -> str:
    view = api.get_instance(instance_id)
    chain = api.verify_history(instance_id)
    verdict = steps.verdict(chain, report)
    events = api.history(instance_id)
    selected = next((e for e in events if e.seq == seq), None)
    return render_template(
        "audit_console/instance.html",
        instance=view,
        process=process_names().get(view.process_key, view.process_key),
        status=STATUS_LABELS.get(view.status, view.status),
        verdict=verdict,
        report=report,
        events=events,
        names=user_names({e.actor_id for e in events} | {view.starter_id}),
        step=steps.step(instance_id, selected, verdict.bad_seq) if selected else None,
        labels=steps.field_labels(events) if selected else {},
        kind_label=kind_label,
        shown=steps.shown,
        pretty=steps.pretty,
    )
