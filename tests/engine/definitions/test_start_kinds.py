"""Which processes a person may start: plain start events yes; message/timer starts and the shared
called pieces of bpmn-models/ no (they would run without the data their start provides)."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine import api
from engine.definitions import repository
from services.db import db
from services.errors import Forbidden
from tests.org.factories import make_user

ROOT = Path(__file__).resolve().parents[3]
TIMER_BPMN = ROOT / "tests" / "engine" / "timers" / "bpmn" / "timers_hourly.bpmn"


def deploy_platform_processes() -> None:
    """What `make run` deploys: processes/ and bpmn-models/ in one set."""
    files = {
        path.name: path.read_bytes()
        for folder in (ROOT / "processes", ROOT / "bpmn-models")
        for path in sorted(folder.iterdir())
        if path.suffix in (".bpmn", ".dmn")
    }
    repository.deploy(files, deployed_by=None, comment="start kinds")


def test_only_plain_start_processes_are_listed_as_manual(app) -> None:
    deploy_platform_processes()
    repository.deploy({TIMER_BPMN.name: TIMER_BPMN.read_bytes()}, deployed_by=None)
    manual = {d.key: d.manual_start for d in repository.list_definitions()}
    assert manual["qingjia"] and manual["fawen"] and manual["qianbao"]
    assert not manual["shouwen"]  # started by the gongwen.received message
    assert not manual["timers_hourly"]  # started by its cycle timer
    for shared in ("gongwen_huiqian", "gongwen_guidang", "gongwen_chuanyue"):
        assert not manual[shared], shared  # called by 发文/收文/签报 only


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        ("shouwen", "由消息（如来文送达）自动启动"),
        ("gongwen_guidang", "只能由其他流程调用"),
        ("timers_hourly", "由定时器按时自动启动"),
    ],
)
def test_starting_an_automatic_process_by_hand_is_refused(app, key: str, reason: str) -> None:
    deploy_platform_processes()
    repository.deploy({TIMER_BPMN.name: TIMER_BPMN.read_bytes()}, deployed_by=None)
    db.session.commit()
    clerk = make_user("clerk_start_kind")
    with pytest.raises(Forbidden) as refused:
        api.start_instance_by_hand(key, starter_id=clerk.id)
    assert reason in refused.value.message and "不能手工发起" in refused.value.message
    db.session.rollback()
    assert api.started_instances(clerk.id).items == []


def test_a_plain_process_starts_by_hand(app) -> None:
    deploy_platform_processes()
    clerk = make_user("clerk_start_plain")
    instance = api.start_instance_by_hand("qingjia", starter_id=clerk.id, data={"title": "请假"})
    assert instance.process_key == "qingjia" and instance.starter_id == clerk.id
