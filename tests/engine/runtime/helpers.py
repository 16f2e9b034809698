"""Deploying and starting the runtime test process."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select

from engine import api
from engine.definitions import repository
from engine.runtime.models import HumanTask
from services.db import db

BPMN_DIR = Path(__file__).parent / "bpmn"
SUBJECT = "关于做好春节期间值班工作的通知"


def deploy_approval() -> None:
    files = {"runtime_approval.bpmn": (BPMN_DIR / "runtime_approval.bpmn").read_bytes()}
    repository.deploy(files, deployed_by=None, comment="runtime tests")
    db.session.commit()


def start_approval(
    people: Any, *, reviewer: Any = "li", business_key: str | None = None
) -> api.InstanceView:
    view = api.start_instance(
        "runtime_approval",
        starter_id=people.starter.id,
        data={"title": SUBJECT, "subject": SUBJECT, "reviewer": reviewer},
        business_key=business_key,
    )
    db.session.commit()
    return view


def active_rows(instance_id: int) -> list[HumanTask]:
    return list(
        db.session.scalars(
            select(HumanTask)
            .where(HumanTask.instance_id == instance_id, HumanTask.active.is_(True))
            .execution_options(populate_existing=True)
        )
    )
