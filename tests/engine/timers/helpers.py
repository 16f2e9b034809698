"""Two schedulers at once: each thread has its own app context (its own session)."""

from __future__ import annotations

import threading
from collections.abc import Callable

from flask import Flask

from tests.support.concurrent_workers import run_workers

NAMES = ("s1", "s2")


def run_in_two_threads(app: Flask, job: Callable[..., int], *, limit: int = 2) -> dict[str, int]:
    """Run ``job(limit=limit, worker_id=...)`` in two threads until idle; totals per worker.

    Both workers wait for each other before the first call, so they really compete.
    """
    together = threading.Barrier(len(NAMES), timeout=60)

    def until_idle(name: str) -> int:
        together.wait()
        total = 0
        while (count := job(limit=limit, worker_id=name)) > 0:
            total += count
        return total

    return dict(zip(NAMES, run_workers(app, until_idle, NAMES), strict=True))
