"""Two (or more) scheduler workers at once, each in its own thread, app context and session."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from flask import Flask

from services.db import db


def run_workers(
    app: Flask, job: Callable[[str], int], names: tuple[str, ...] = ("w0", "w1")
) -> list[int]:
    """Run ``job(worker name)`` in one thread per name, all at once; what each returned.

    An error in a worker is raised here; a worker not done after 60 s fails with TimeoutError.
    """

    def in_own_session(name: str) -> int:
        with app.app_context():
            try:
                return job(name)
            finally:
                db.session.remove()

    with ThreadPoolExecutor(max_workers=len(names)) as pool:
        futures = [pool.submit(in_own_session, name) for name in names]
        return [future.result(timeout=60) for future in futures]
