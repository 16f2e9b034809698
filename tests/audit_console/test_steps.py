"""The verdict and the data changes an instance page shows, on their own."""

from __future__ import annotations

from engine import api
from engine.runtime.replay import Divergence
from web.audit_console.steps import Change, changes, verdict


def chain(first_bad: int | None, events: int = 5) -> api.ChainCheck:
    return api.ChainCheck(1, events, first_bad, "链上说明")


def report(status: str, seq: int | None = None) -> api.ReplayReport:
    divergence = Divergence(seq, "记录", "重放") if seq else None
    return api.ReplayReport(1, status, "重放说明", 5, divergence)


def test_verdicts() -> None:
    assert verdict(chain(None), None).headline == "哈希链完整（共 5 条事件）"
    passed = verdict(chain(None), report("ok"))
    assert passed.ok and passed.headline.startswith("校验通过") and passed.detail == "重放说明"
    tampered = verdict(chain(3), report("tampered"))
    assert (tampered.ok, tampered.headline, tampered.bad_seq) == (
        False,
        "校验未通过：第 3 条事件被篡改",
        3,
    )
    assert verdict(chain(6), None).headline == "校验未通过：第 6 条及之后的事件缺失"
    diverged = verdict(chain(None), report("diverged", 4))
    assert (diverged.headline, diverged.bad_seq) == ("校验未通过：第 4 条事件与重放结果不一致", 4)


def test_changes_between_snapshots() -> None:
    before = {"a": 1, "b": True, "gone": "x", "same": [1]}
    after = {"a": 2, "b": True, "new": {"k": "值"}, "same": [1]}
    assert changes(before, after) == [
        Change("a", "修改", "1", "2"),
        Change("gone", "删除", "x", ""),
        Change("new", "新增", "", '{"k": "值"}'),
    ]
    assert changes({}, {}) == []
