"""Two schedulers at once: each thread has its own app context (its own session)."""

from __future__ import annotations

import threading
from collections.abc import Callable

from flask import Flask

from services.db import db


def run_in_two_threads(app: Flask, job: Callable[..., int], *, limit: int = 2) -> dict[str, int]:
    """Run ``job(limit=limit, worker_id=...)`` in two threads until idle; totals per worker."""
    barrier = threading.Barrier(2)
    done: dict[str, int] = {}
    errors: list[BaseException] = []

    def worker(name: str) -> None:
        try:
            with app.app_context():
                barrier.wait()
                total = 0
                while (count := job(limit=limit, worker_id=name)) > 0:
                    total += count
                done[name] = total
                db.session.remove()
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(name,)) for name in ("s1", "s2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    return done
