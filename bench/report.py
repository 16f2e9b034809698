"""Shared by the bench scripts: machine description and writing a section of docs/benchmarks.md.

Each script owns one section, delimited by HTML comments, and rewrites only that section, so
results of different scripts (and runs on different days) stay side by side.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import statistics
import subprocess
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.support.pgcluster import PgCluster

DOC = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"
HEADER = (
    "# 性能测量 (benchmarks)\n\n"
    "由 `bench/` 中的脚本生成，每个脚本只改写自己的小节。数字是在下列机器上实测的，"
    "未达标的也如实列出。\n"
)


def machine_info() -> str:
    """One line naming the machine, CPU count, memory, Python and database versions."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{platform.system()} {platform.release()}, {cpu}, {os.cpu_count()} cores, "
        f"{mem_gib:.0f} GiB RAM, Python {platform.python_version()}, SQLite "
        f"{_sqlite_version()}, PostgreSQL {_pg_version()}"
    )


def _sqlite_version() -> str:
    import sqlite3

    return sqlite3.sqlite_version


def _pg_version() -> str:
    try:
        from tests.support.pgcluster import find_bindir

        out = subprocess.run(
            [str(find_bindir() / "postgres"), "--version"],
            capture_output=True,
            text=True,
            check=False,
        )
        found = re.search(r"\(PostgreSQL\) (\S+)", out.stdout)
        return found.group(1) if found else out.stdout.strip()
    except (OSError, RuntimeError):  # only descriptive: a missing server is not an error here
        return "n/a"


def percentile(samples: list[float], pct: float) -> float:
    """The pct-th percentile (nearest-rank) of samples."""
    ordered = sorted(samples)
    index = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def summary_ms(samples: list[float]) -> dict[str, float]:
    """p50/p95/p99/mean of samples given in seconds, as milliseconds."""
    return {
        "p50": percentile(samples, 50) * 1000,
        "p95": percentile(samples, 95) * 1000,
        "p99": percentile(samples, 99) * 1000,
        "mean": statistics.fmean(samples) * 1000,
    }


def write_section(name: str, body: str) -> None:
    """Replace (or append) the section ``name`` of docs/benchmarks.md with ``body``."""
    text = DOC.read_text(encoding="utf-8") if DOC.exists() else HEADER
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    load = os.getloadavg()[0]
    block = (
        f"<!-- bench:{name} -->\n## {name}\n\n运行于 {stamp}；机器：{machine_info()}；"
        f"写入时系统负载（1 分钟平均）{load:.1f}\n\n"
        f"{body.strip()}\n<!-- /bench:{name} -->"
    )
    pattern = re.compile(
        rf"<!-- bench:{re.escape(name)} -->.*?<!-- /bench:{re.escape(name)} -->", re.S
    )
    text = pattern.sub(block, text) if pattern.search(text) else text.rstrip() + "\n\n" + block
    DOC.parent.mkdir(parents=True, exist_ok=True)
    DOC.write_text(text.rstrip("\n") + "\n", encoding="utf-8")


def run_and_report(
    backends_arg: str,
    run_backend: Callable[[str, Any], Any],
    render: Callable[[list[Any]], str],
    section: str,
    *,
    write: bool = True,
) -> None:
    """Run ``run_backend(backend, cluster)`` for each of the comma-separated backends (a
    throwaway PostgreSQL cluster is started only if one is named), print the rendered report
    and, unless ``write`` is false, rewrite ``section`` of docs/benchmarks.md with it."""
    backends = [b for b in backends_arg.split(",") if b]
    cluster = PgCluster().start() if "postgresql" in backends else None
    try:
        results = [run_backend(backend, cluster) for backend in backends]
    finally:
        if cluster:
            cluster.stop()
    report = render(results)
    print(report)
    if write:
        write_section(section, report)


def bench_parser(description: str | None) -> argparse.ArgumentParser:
    """A parser with the options every bench takes: ``--backends`` and ``--no-write``."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--no-write", action="store_true", help="print only")
    return parser


def bench_main(
    parser: argparse.ArgumentParser,
    run_backend: Callable[[str, argparse.Namespace, Any], Any],
    render: Callable[[list[Any], argparse.Namespace], str],
    section: str,
) -> None:
    """Parse the command line (a ``bench_parser``), run every backend and report them."""
    args = parser.parse_args()
    run_and_report(
        args.backends,
        lambda backend, cluster: run_backend(backend, args, cluster),
        lambda results: render(results, args),
        section,
        write=not args.no_write,
    )
