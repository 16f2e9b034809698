"""文号 and 收文号: format, consecutive numbers under concurrency, voiding, 代字 configuration."""

from __future__ import annotations

import re
import threading

import pytest
from flask import Flask
from sqlalchemy import select

from services.audit.models import AuditEvent
from services.db import db
from services.errors import Conflict, NotFound, ValidationFailed
from services.numbering import service
from services.numbering.models import IssuedNumber
from tests.org.factories import make_unit, make_user

THREADS = 20


def test_reserve_formats_without_leading_zeros(app: Flask) -> None:
    numbers = [service.reserve("市政发", 2025).number for _ in range(12)]
    assert numbers[0] == "市政发〔2025〕1号"
    assert numbers[-1] == "市政发〔2025〕12号"
    assert all(service.NUMBER_PATTERN.match(n) for n in numbers)
    assert all("第" not in n and "[" not in n for n in numbers)


@pytest.mark.parametrize(
    ("code", "year", "expected"),
    [("江教函", 2025, "江教函〔2025〕1号"), ("江教函", 2026, "江教函〔2026〕1号")],
)
def test_counter_per_code_and_year(app: Flask, code: str, year: int, expected: str) -> None:
    service.reserve("江教发", 2025)
    service.reserve("江教函", 2024)
    assert service.reserve(code, year).number == expected


@pytest.mark.parametrize("code", ["", "江 教", "江教〔", "江教1"])
def test_bad_issuer_code_refused(app: Flask, code: str) -> None:
    with pytest.raises(ValidationFailed):
        service.reserve(code, 2025)


def _reserve_in_threads(app: Flask, code: str) -> list[int]:
    """Each thread reserves in its own app context (own session, own connection) and commits."""
    seqs: list[int] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(THREADS)

    def work() -> None:
        with app.app_context():
            try:
                barrier.wait()
                seqs.append(service.reserve(code, 2025).seq)
                db.session.commit()
            except BaseException as exc:  # reported by the main thread below
                errors.append(exc)
                db.session.rollback()

    threads = [threading.Thread(target=work) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    return seqs


@pytest.mark.postgres_only
def test_concurrent_reservations_postgres(app: Flask) -> None:
    seqs = _reserve_in_threads(app, "江政发")
    assert sorted(seqs) == list(range(1, THREADS + 1))
    stored = db.session.scalars(select(IssuedNumber.number)).all()
    assert len(set(stored)) == THREADS


def test_concurrent_reservations_any_backend(app: Flask, backend: str) -> None:
    seqs = _reserve_in_threads(app, "江财")
    assert sorted(seqs) == list(range(1, THREADS + 1)), backend


def test_void_is_logged_and_never_recycled(app: Flask) -> None:
    user = make_user()
    first = service.reserve("江政办发", 2025, ref="doc-1", actor_id=user.id)
    voided = service.void(first.number, "登记错误", user.id)
    assert voided.voided_at is not None and voided.voided_by == user.id
    assert service.reserve("江政办发", 2025).number == "江政办发〔2025〕2号"
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "numbering.void")
    ).one()
    assert event.object_id == first.number and event.detail["reason"] == "登记错误"
    assert [n.seq for n in service.issued_numbers("江政办发", 2025)] == [1, 2]


@pytest.mark.parametrize(
    ("number", "reason", "error"),
    [
        ("江政办发〔2025〕1号", "", ValidationFailed),
        ("江政办发〔2025〕9号", "错号", NotFound),
        ("twice", "错号", Conflict),
    ],
)
def test_void_refusals(app: Flask, number: str, reason: str, error: type[Exception]) -> None:
    issued = service.reserve("江政办发", 2025)
    if number == "twice":
        number = issued.number
        service.void(number, "第一次", None)
    with pytest.raises(error):
        service.void(number, reason, None)


def test_receipt_numbers_per_unit_and_year(app: Flask) -> None:
    first, second = make_unit("甲局"), make_unit("乙局")
    assert service.reserve_receipt(first.id, 2025) == "2025-0001"
    assert service.reserve_receipt(first.id, 2025) == "2025-0002"
    assert service.reserve_receipt(second.id, 2025) == "2025-0001"
    assert service.reserve_receipt(first.id, 2026) == "2026-0001"
    # The 收文 counter is apart from 发文: a 发文字号 starts at 1 regardless.
    assert service.reserve("甲局发", 2025).seq == 1


@pytest.mark.parametrize(
    ("unit_code", "kind", "office", "expected"),
    [
        ("江教", "通知", False, "江教发"),
        ("江教", "函", False, "江教函"),
        ("江政发", "通知", True, "江政办发"),
        ("江政发", "函", True, "江政办函"),
        ("江政发", "请示", False, "江政发"),
    ],
)
def test_issuer_code_defaults(
    app: Flask, unit_code: str, kind: str, office: bool, expected: str
) -> None:
    unit = make_unit()
    unit.issuer_code = unit_code
    assert service.issuer_code_for(unit, kind, office=office) == expected


def test_issuer_code_rule_overrides_default(app: Flask) -> None:
    unit = make_unit()
    unit.issuer_code = "江教"
    service.set_issuer_code(unit, "纪要", "江教纪")
    assert service.issuer_code_for(unit, "纪要") == "江教纪"
    assert service.issuer_code_for(unit, "通知") == "江教发"
    assert re.match(r"^江教纪〔2025〕1号$", service.reserve("江教纪", 2025).number)
