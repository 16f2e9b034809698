"""件号 under concurrency: ten archivists filing at once get 0001..0010, no gaps, no repeats."""

from __future__ import annotations

import threading

import pytest
from flask import Flask
from sqlalchemy import select

from services.archive import service
from services.archive.models import ArchiveCounter, ArchiveRecord
from services.db import db
from services.errors import Conflict
from tests.archive.helpers import make_issued

THREADS = 10


def _archive_in_threads(app: Flask, document_ids: list[int]) -> list[str]:
    """Each thread files one document in its own app context (own session and connection)."""
    codes: list[str] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(document_ids))

    def work(document_id: int) -> None:
        with app.app_context():
            try:
                barrier.wait()
                record = service.archive_document(document_id, actor_id=None, history=[])
                codes.append(record.archive_code)
                db.session.commit()
            except BaseException as exc:  # reported by the main thread below
                errors.append(exc)
                db.session.rollback()
            finally:
                db.session.remove()

    threads = [threading.Thread(target=work, args=(i,)) for i in document_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    return codes


@pytest.mark.postgres_only
def test_concurrent_archiving_postgres(app: Flask) -> None:
    ids = [make_issued(f"关于第{n}批开学工作的通知").id for n in range(THREADS)]
    db.session.commit()
    codes = _archive_in_threads(app, ids)
    expected = [f"J001-WS·2025-D30-JJK-{n:04d}" for n in range(1, THREADS + 1)]
    assert sorted(codes) == expected
    stored = db.session.scalars(select(ArchiveRecord.item_no)).all()
    assert sorted(stored) == list(range(1, THREADS + 1))
    counter = db.session.scalars(select(ArchiveCounter)).one()
    assert counter.next_no == THREADS + 1


@pytest.mark.postgres_only
def test_same_document_twice_at_once_files_once(app: Flask) -> None:
    document_id = make_issued().id
    db.session.commit()
    results: list[str] = []
    barrier = threading.Barrier(2)

    def work() -> None:
        with app.app_context():
            try:
                barrier.wait()
                service.archive_document(document_id, actor_id=None, history=[])
                db.session.commit()
                results.append("filed")
            except Conflict:
                db.session.rollback()
                results.append("conflict")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["conflict", "filed"]
    assert len(db.session.scalars(select(ArchiveRecord)).all()) == 1
