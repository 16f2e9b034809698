"""How the auditor reads engine event kinds: a Chinese label each, and groups to filter by.

The groups follow what auditors ask about (退回, 转办, timers, migrations, incidents ...), not
the engine's split into inputs and produced events.
"""

from __future__ import annotations

KIND_LABELS = {
    "instance_started": "发起流程",
    "instance_completed": "流程结束",
    "instance_suspended": "挂起",
    "instance_resumed": "恢复",
    "instance_terminated": "终止",
    "task_created": "生成待办",
    "task_claimed": "签收",
    "task_completed": "办理完成",
    "task_cancelled": "任务取消",
    "task_sent_back": "退回",
    "task_withdrawn": "取回",
    "task_reassigned": "转办",
    "task_skipped": "疏通（跳过自动环节）",
    "addsign_added": "加签",
    "addsign_completed": "加签人办理",
    "addsign_passed": "加签人办理（转下一位）",
    "gateway_passed": "经过网关",
    "script_run": "执行脚本",
    "service_called": "调用服务",
    "service_error_caught": "服务出错已捕获",
    "subprocess_passed": "子流程",
    "timer_scheduled": "定时器设定",
    "timer_fired": "定时器触发",
    "message_sent": "发送消息",
    "message_received": "收到消息",
    "migrated": "版本迁移",
    "incident_opened": "故障",
    "incident_retry_failed": "故障重试失败",
    "incident_retried": "故障重试",
    "incident_resolved": "故障已解决",
}

# (value, label, kinds) in the order of the filter's select box.
KIND_GROUPS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("started", "发起流程", ("instance_started",)),
    ("completed", "办理完成", ("task_completed",)),
    ("sent_back", "退回", ("task_sent_back",)),
    ("withdrawn", "取回", ("task_withdrawn",)),
    ("reassigned", "转办", ("task_reassigned",)),
    ("addsign", "加签", ("addsign_added", "addsign_completed", "addsign_passed")),
    ("claimed", "签收", ("task_claimed",)),
    ("timer", "定时器", ("timer_scheduled", "timer_fired")),
    ("message", "消息", ("message_sent", "message_received")),
    ("migrated", "版本迁移", ("migrated",)),
    (
        "incident",
        "故障",
        (
            "incident_opened",
            "incident_retry_failed",
            "incident_retried",
            "incident_resolved",
            "service_error_caught",
        ),
    ),
    (
        "admin",
        "管理操作（挂起/恢复/终止/疏通）",
        ("instance_suspended", "instance_resumed", "instance_terminated", "task_skipped"),
    ),
    ("ended", "流程结束", ("instance_completed",)),
    (
        "automatic",
        "自动环节（网关、脚本、服务、待办生成与取消）",
        (
            "gateway_passed",
            "script_run",
            "service_called",
            "subprocess_passed",
            "task_created",
            "task_cancelled",
        ),
    ),
)
GROUP_KINDS = {value: kinds for value, _label, kinds in KIND_GROUPS}


def kind_label(kind: str) -> str:
    """The Chinese name of an event kind (the code itself for kinds added later)."""
    return KIND_LABELS.get(kind, kind)
