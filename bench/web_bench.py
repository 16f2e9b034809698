"""Web benchmarks for issue 4: server time of the workbench pages, through the WSGI app.

    .venv/bin/python -m bench.web_bench [--backends sqlite,postgresql] [--samples 200]

Measures, on a fresh database per backend (PostgreSQL: a throwaway cluster), with a logged-in
test client (routing, session, queries, template rendering; no network):
- 待办中心 first page (20 rows by due time, with the tab counts) for a user with 5,000 open
  tasks among 50,000 rows;
- a task page whose form has 30 fields, on an instance with a few history events.
Prints the figures and rewrites its section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import insert, text

from bench.app_setup import database_url, migrated_app
from bench.report import bench_main, bench_parser, summary_ms
from engine import api, forms
from engine.definitions import repository
from engine.runtime.models import HumanTask
from services.auth import accounts
from services.db import db, end_transaction
from services.org import admin, directory
from tests.auth.helpers import login
from tests.support.pgcluster import PgCluster

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "Bench#Web2025"
WIDE_FORM = "bench_thirty_fields"


def wide_form() -> dict[str, Any]:
    """A 30-field form: text, textarea, integer, date, choice and yes/no fields."""
    kinds: list[dict[str, Any]] = (
        [{"type": "string", "maxLength": 200}] * 10
        + [{"type": "string", "maxLength": 2000}] * 5
        + [{"type": "integer", "minimum": 0}] * 5
        + [{"type": "string", "format": "date"}] * 5
        + [{"type": "string", "enum": ["平件", "加急", "特急"]}] * 3
        + [{"type": "boolean"}] * 2
    )
    properties = {f"f{n:02d}": {**kind, "title": f"字段{n:02d}"} for n, kind in enumerate(kinds)}
    ui = {f"f{n:02d}": {"widget": "textarea"} for n in range(10, 15)}
    return {
        "title": "三十个字段的表单",
        "schema": {"type": "object", "properties": properties, "required": ["f00"]},
        "ui": ui,
    }


@contextmanager
def platform(backend: str, workdir: Path, cluster: PgCluster | None) -> Iterator[Flask]:
    """A migrated database, the product forms plus the wide one, 请假 deployed."""
    form_dir = workdir / "forms"
    form_dir.mkdir()
    for path in (ROOT / "forms").glob("*.json"):
        (form_dir / path.name).write_bytes(path.read_bytes())
    (form_dir / f"{WIDE_FORM}.json").write_text(json.dumps(wide_form(), ensure_ascii=False))
    url = database_url(backend, workdir, cluster, "webbench")
    with migrated_app(url, workdir / "var") as app, forms.use_forms_dir(form_dir):
        directory.ensure_reference_data()
        accounts.create_admin("bench_admin", "管理员", PASSWORD)
        bpmn = ROOT / "processes" / "qingjia.bpmn"
        repository.deploy({bpmn.name: bpmn.read_bytes()}, deployed_by=None, comment="bench")
        db.session.commit()
        yield app


def make_person(username: str, name: str, unit_id: int) -> int:
    user = admin.create_user(username, name, unit_id)
    accounts.set_password(user, PASSWORD, must_change=False)
    return int(user.id)


def fill_inbox(user_id: int, others: list[int], total: int, mine: int) -> None:
    """``total`` task rows on a few real instances, ``mine`` of them open for ``user_id``."""
    instances = [api.start_instance("qingjia", starter_id=others[0]).id for _ in range(20)]
    db.session.commit()
    rng = random.Random(4)
    base = datetime(2026, 1, 1, tzinfo=UTC)
    rows = []
    for n in range(total):
        is_mine = n < mine
        active = is_mine or rng.random() < 0.3
        rows.append(
            {
                "instance_id": instances[n % len(instances)],
                "spiff_task_id": str(uuid.UUID(int=rng.getrandbits(128))),
                "task_spec": "dept_approve",
                "name": "部门负责人审批",
                "process_key": "qingjia",
                "form_key": "qingjia_approve",
                "assignee_id": user_id if is_mine else others[n % len(others)],
                "status": "open" if active else "completed",
                "active": active,
                "priority": rng.randint(0, 2),
                "urgency": rng.choice(["normal", "normal", "urgent"]),
                "due_at": base + timedelta(minutes=rng.randint(0, 525_600)),
                "title": f"请假审批：{rng.randint(1, 9)} 天（{n}）",
                "business_key": f"QJ-2026-{n:06d}",
                "created_at": base,
            }
        )
    for start in range(0, len(rows), 10_000):
        db.session.execute(insert(HumanTask), rows[start : start + 10_000])
        db.session.commit()
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect() as conn:
            conn.execute(text("ANALYZE"))
            conn.commit()


def wide_task(starter: int) -> int:
    """An open task of ``starter`` whose form is the 30-field one, after a few events."""
    instance = api.start_instance("qingjia", starter_id=starter, data={"title": "宽表单"})
    db.session.commit()
    newest = api.inbox(starter, filters=api.InboxFilters(sort="created"), per_page=1).items
    task = newest[0]
    assert task.instance_id == instance.id
    row = db.session.get(HumanTask, task.id)
    assert row is not None
    row.form_key = WIDE_FORM
    db.session.commit()
    return task.id


def timed_get(client: FlaskClient, path: str, samples: int) -> dict[str, float]:
    """p50/p95/p99 of GET ``path`` (after warming up), checking each answer is a 200."""

    def one() -> float:
        began = time.perf_counter()
        response = client.get(path)
        elapsed = time.perf_counter() - began
        assert response.status_code == 200, (path, response.status_code)
        response.close()
        end_transaction()  # as the app's teardown ends each request (services.db)
        db.session.remove()
        return elapsed

    for _ in range(5):
        one()
    return summary_ms([one() for _ in range(samples)])


def run_backend(backend: str, args: argparse.Namespace, cluster: PgCluster | None) -> dict:
    with tempfile.TemporaryDirectory() as tmp, platform(backend, Path(tmp), cluster) as app:
        unit = admin.create_unit("benchweb", "基准测试单位", "基准单位", parent_id=None)
        target = make_person("bench_inbox", "王待办", unit.id)
        others = [admin.create_user(f"bw{n:03d}", f"用户{n:03d}", unit.id).id for n in range(50)]
        db.session.commit()
        fill_inbox(target, others, args.rows, args.mine)
        task_id = wide_task(target)
        client = app.test_client()
        assert login(client, "bench_inbox", PASSWORD).status_code == 302
        out = {
            "backend": backend,
            "load": os.getloadavg()[0],
            "inbox": timed_get(client, "/workbench/", args.samples),
            "task": timed_get(client, f"/workbench/tasks/{task_id}", args.samples),
        }
        print(f"[{backend}] inbox {out['inbox']} task {out['task']}")
        return out


def markdown(results: list[dict], args: argparse.Namespace) -> str:
    lines = [
        f"服务器端耗时（Flask 测试客户端，含路由、会话、查询与模板渲染，不含网络），每项抽样 "
        f"{args.samples} 次；待办表 {args.rows:,} 行，其中目标用户 {args.mine:,} 条待办。",
        "",
        "| 页面 | 目标 | " + " | ".join(r["backend"] for r in results) + " |",
        "|---|---|" + "---|" * len(results),
    ]
    for key, label, target in (
        ("inbox", "待办中心首页 p95（20 行 + 各标签计数）", "≤ 50 ms"),
        ("task", "办理页 p95（30 个字段的表单）", "≤ 80 ms"),
    ):
        cells = " | ".join(f"{r[key]['p95']:.1f} ms（p50 {r[key]['p50']:.1f}）" for r in results)
        lines.append(f"| {label} | {target} | {cells} |")
    loads = "、".join(f"{r['backend']} {r['load']:.1f}" for r in results)
    lines.append("")
    lines.append(
        f"测量开始时的系统负载（1 分钟平均）：{loads}。负载高于核数时，其他进程抢占 CPU，"
        "p95 会明显偏高；在空闲机器上重跑可得到更稳定的数字。"
    )
    return "\n".join(lines)


def main() -> None:
    parser = bench_parser(__doc__)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--mine", type=int, default=5_000)
    bench_main(parser, run_backend, markdown, "Web 工作台（bench/web_bench.py）")


if __name__ == "__main__":
    main()
