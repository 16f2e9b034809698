"""Bench: 10,000 due timers fired by 2 scheduler processes, each exactly once.

Run: ``.venv/bin/python bench/timers_bench.py`` (``--timers N``, ``--backends sqlite``).
For each backend: start N instances that wait at a one-hour intermediate timer (our clock frozen
at T0), then two worker processes (multiprocessing, spawn), each with the clock at T0 + 2 h,
call ``fire_due_timers`` until nothing is due. Checks that every instance got exactly one
``timer_fired`` event and moved on to its user task, and reports the time. Writes the section
定时器 of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.app_setup import database_url, make_app, migrated_app
from bench.report import bench_main, bench_parser
from engine import api
from engine.definitions import repository
from engine.runtime.models import HumanTask, InstanceEvent
from engine.runtime.wait_models import EngineTimer
from services import clock
from services.db import db
from services.org import admin, directory
from tests.support.bpmn_text import one_step_process
from tests.support.pgcluster import PgCluster

T0 = datetime(2025, 3, 3, 1, 0, tzinfo=UTC)
KEY = "bench_timer"
WAIT_STEP = """<bpmn:intermediateCatchEvent id="wait" name="等待一小时">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:timerEventDefinition><bpmn:timeDuration>"PT1H"</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>"""
BPMN = one_step_process(
    KEY,
    "定时器基准",
    ("wait", WAIT_STEP),
    after_name="到期处理",
    target_namespace="http://zhengwu-oa/bench",
)


@contextmanager
def platform(url: str, workdir: Path) -> Iterator[Any]:
    """Migrated database, one user, the timer process deployed; app context pushed."""
    with migrated_app(url, workdir / "var") as app:
        directory.ensure_reference_data()
        unit = admin.create_unit("bench", "基准测试单位", "基准单位", parent_id=None)
        admin.create_user("bench_starter", "张拟稿", unit.id)
        repository.deploy({f"{KEY}.bpmn": BPMN.encode()}, deployed_by=None, comment="bench")
        db.session.commit()
        yield app


def start_instances(count: int) -> float:
    """Start ``count`` instances at T0 (each waits at its timer); returns seconds."""
    user = directory.get_user_by_username("bench_starter")
    assert user is not None
    began = time.perf_counter()
    with clock.use_clock(clock.FrozenClock(T0)):
        for n in range(count):
            api.start_instance(KEY, starter_id=user.id, data={"n": n})
            if n % 200 == 199:
                db.session.commit()
        db.session.commit()
    return time.perf_counter() - began


def worker(url: str, var_dir: str, name: str, results: Any) -> None:
    """One scheduler process: its own app and connections, the clock two hours on."""
    app = make_app(url, Path(var_dir))
    fired = 0
    with clock.use_clock(clock.FrozenClock(T0 + timedelta(hours=2))), app.app_context():
        db.session.execute(select(1))  # connect before timing
        db.session.commit()
        began = time.perf_counter()
        while True:
            count = api.fire_due_timers(limit=100, worker_id=name)
            fired += count
            if count == 0 and _nothing_left():
                break
        db.session.remove()
        db.engine.dispose()
    results.put((name, fired, time.perf_counter() - began))


def _nothing_left() -> bool:
    left = db.session.scalar(
        select(func.count()).select_from(EngineTimer).where(EngineTimer.status != "fired")
    )
    db.session.commit()
    return not left


def fire_with_processes(
    url: str, workdir: Path, processes: int
) -> tuple[float, float, dict[str, int]]:
    """Wall time with process start-up, the longest worker's firing time, fired per worker."""
    ctx = multiprocessing.get_context("spawn")
    results = ctx.Queue()
    procs = [
        ctx.Process(target=worker, args=(url, str(workdir / "var"), f"sched{i + 1}", results))
        for i in range(processes)
    ]
    began = time.perf_counter()
    for proc in procs:
        proc.start()
    per_worker, firing = {}, 0.0
    for _ in procs:
        name, fired, seconds = results.get(timeout=3600)
        per_worker[name] = fired
        firing = max(firing, seconds)
    for proc in procs:
        proc.join()
    return time.perf_counter() - began, firing, per_worker


def check_exactly_once(count: int) -> dict[str, int]:
    """Every instance fired once and moved on; returns the figures checked."""
    per_instance = db.session.execute(
        select(InstanceEvent.instance_id, func.count())
        .where(InstanceEvent.kind == "timer_fired")
        .group_by(InstanceEvent.instance_id)
    ).all()
    twice = sum(1 for _, n in per_instance if n != 1)
    fired_rows = db.session.scalar(
        select(func.count()).select_from(EngineTimer).where(EngineTimer.status == "fired")
    )
    tasks = db.session.scalar(
        select(func.count()).select_from(HumanTask).where(HumanTask.task_spec == "after")
    )
    figures = {
        "instances_fired": len(per_instance),
        "fired_more_than_once": twice,
        "rows_fired": int(fired_rows or 0),
        "after_tasks": int(tasks or 0),
    }
    ok = figures == {
        "instances_fired": count,
        "fired_more_than_once": 0,
        "rows_fired": count,
        "after_tasks": count,
    }
    if not ok:
        raise SystemExit(f"定时器未恰好触发一次：{figures}")
    return figures


def run_backend(backend: str, args: argparse.Namespace, cluster: PgCluster | None) -> dict:
    with tempfile.TemporaryDirectory(prefix="oa-timers-bench-") as tmp:
        workdir = Path(tmp)
        url = database_url(backend, workdir, cluster, "bench_timers")
        with platform(url, workdir):
            setup = start_instances(args.timers)
            db.session.remove()
            elapsed, firing, per_worker = fire_with_processes(url, workdir, args.processes)
            figures = check_exactly_once(args.timers)
    result = {
        "backend": backend,
        "setup": setup,
        "elapsed": elapsed,
        "firing": firing,
        "per_worker": per_worker,
    }
    result.update(figures)
    print(result, flush=True)
    return result


def markdown(results: list[dict], args: argparse.Namespace) -> str:
    lines = [
        f"{args.timers:,} 个到期定时器（中间定时事件，PT1H），由 {args.processes} 个调度**进程**"
        "（multiprocessing，各自的连接）同时调用 `fire_due_timers(limit=100)` 触发；"
        "每个定时器：认领 → 锁实例 → 加载 → 触发 → 运行到下一等待点 → 保存（待办行、历史）"
        "→ 提交。",
        "",
        "| 数据库 | 准备（启动实例） | 总耗时（含进程启动） | 触发耗时 | 定时器/秒 "
        "| 各进程触发数 | 恰好一次 |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        split = " / ".join(f"{n}" for n in r["per_worker"].values())
        once = "是" if r["fired_more_than_once"] == 0 and r["rows_fired"] == args.timers else "否"
        lines.append(
            f"| {r['backend']} | {r['setup']:.1f} s | {r['elapsed']:.1f} s | {r['firing']:.1f} s "
            f"| {args.timers / r['firing']:.0f} | {split} | {once} |"
        )
    lines += [
        "",
        "“恰好一次”的检查：每个实例恰有一条 `timer_fired` 历史事件，全部定时器行为 fired，"
        "每个实例都生成了后续待办。触发耗时：进程建好应用、连上数据库之后，"
        "到最后一个进程发现再无到期定时器为止（取两个进程中较长者）。",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = bench_parser(__doc__)
    parser.add_argument("--timers", type=int, default=10_000)
    parser.add_argument("--processes", type=int, default=2)
    bench_main(parser, run_backend, markdown, "定时器")


if __name__ == "__main__":
    main()
