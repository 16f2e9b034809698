"""Reserve and void 发文字号 and 收文号.

A number is taken by bumping its counter row with one atomic ``UPDATE ... RETURNING``: on
PostgreSQL the row lock queues concurrent requests until the holder's transaction ends, on SQLite
the database write lock does the same, so no two transactions ever see the same value. Numbers
are never recycled: voiding only marks the issued row and writes an audit event.
"""

from __future__ import annotations

import re

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite

from services import clock
from services.audit import log as audit
from services.db import db
from services.errors import Conflict, NotFound, ValidationFailed
from services.numbering.models import (
    SCOPE_OUTGOING,
    SCOPE_RECEIPT,
    IssuedNumber,
    IssuerCodeRule,
    NumberCounter,
)
from services.org.models import Unit, User

# 文种 whose numbers use their own 代字 suffix instead of "发" (e.g. 江教 + 函 -> 江教函).
KIND_SUFFIXES: dict[str, str] = {"函": "函"}
DEFAULT_SUFFIX = "发"
# Documents issued in the name of a unit's office insert 办: 江政 -> 江政办发, 江政办函.
OFFICE_INFIX = "办"
NUMBER_PATTERN = re.compile(r"^(?P<code>\S+)〔(?P<year>\d{4})〕(?P<seq>[1-9]\d*)号$")
_CODE_PATTERN = re.compile(r"^[^\s〔〕\[\]\d]{1,20}$")
_CLASS_PATTERN = re.compile(r"^[^\s〔〕\[\]\d:]{1,4}$")


def format_number(issuer_code: str, year: int, seq: int) -> str:
    """``市政发〔2025〕12号``: 六角括号 around the year, no leading zeros, no 第."""
    return f"{issuer_code}〔{year}〕{seq}号"


def format_receipt(year: int, seq: int) -> str:
    """收文号 such as ``2025-0001`` (local practice: four digits, zero padded)."""
    return f"{year}-{seq:04d}"


def format_class_receipt(receipt_class: str, year: int, seq: int) -> str:
    """收文编号 of a class such as ``收办〔2026〕12号``: the class, 六角括号 around the year,
    the class's own sequence without leading zeros."""
    return f"{receipt_class}〔{year}〕{seq}号"


def issuer_code_for(unit: Unit, kind: str, *, office: bool = False) -> str:
    """The 机关代字 for a document of ``kind`` (文种) issued by ``unit`` (or by its office).

    An explicit :class:`IssuerCodeRule` wins; otherwise the code is derived from
    ``Unit.issuer_code``: its stem (without a final 发), 办 for the office, and the 文种 suffix.
    """
    rule_kind = f"办公室{kind}" if office else kind
    rule = db.session.scalars(
        select(IssuerCodeRule).where(
            IssuerCodeRule.unit_id == unit.id, IssuerCodeRule.kind == rule_kind
        )
    ).first()
    if rule is not None:
        return rule.issuer_code
    base = unit.issuer_code or unit.short_name
    stem = base.removesuffix(DEFAULT_SUFFIX) or base
    return stem + (OFFICE_INFIX if office else "") + KIND_SUFFIXES.get(kind, DEFAULT_SUFFIX)


def set_issuer_code(unit: Unit, kind: str, issuer_code: str, *, office: bool = False) -> None:
    """Configure an explicit 机关代字 for (unit, 文种), replacing the derived default."""
    _check_code(issuer_code)
    rule_kind = f"办公室{kind}" if office else kind
    rule = db.session.scalars(
        select(IssuerCodeRule).where(
            IssuerCodeRule.unit_id == unit.id, IssuerCodeRule.kind == rule_kind
        )
    ).first()
    if rule is None:
        rule = IssuerCodeRule(unit_id=unit.id, kind=rule_kind, issuer_code=issuer_code)
        db.session.add(rule)
    rule.issuer_code = issuer_code
    db.session.flush()


def reserve(
    issuer_code: str, year: int, *, ref: str | None = None, actor_id: int | None = None
) -> IssuedNumber:
    """Take the next 发文字号 of (issuer_code, year), e.g. ``市政发〔2025〕12号``."""
    _check_code(issuer_code)
    _check_year(year)
    seq = _next_seq(SCOPE_OUTGOING, issuer_code, year)
    issued = IssuedNumber(
        scope=SCOPE_OUTGOING,
        number=format_number(issuer_code, year, seq),
        issuer_code=issuer_code,
        year=year,
        seq=seq,
        ref=ref,
        issued_by=actor_id,
        issued_at=clock.now(),
    )
    db.session.add(issued)
    db.session.flush()
    return issued


def reserve_receipt(
    unit_id: int, year: int, *, receipt_class: str | None = None, ref: str | None = None
) -> str:
    """Take the next 收文号 of a unit for ``year``; a counter apart from 发文.

    Without ``receipt_class`` one sequence per unit and year (``2025-0001``); with a class
    (收报/收抄/收办) a sequence of its own per unit, year and class (``收办〔2025〕1号``).
    """
    _check_year(year)
    if receipt_class is not None and not _CLASS_PATTERN.match(receipt_class):
        raise ValidationFailed("收文类别不合规", errors={"receipt_class": "收文类别不合规"})
    key = f"{unit_id}:{receipt_class}" if receipt_class else str(unit_id)
    seq = _next_seq(SCOPE_RECEIPT, key, year)
    number = (
        format_class_receipt(receipt_class, year, seq)
        if receipt_class
        else format_receipt(year, seq)
    )
    issued = IssuedNumber(
        scope=SCOPE_RECEIPT,
        number=number,
        issuer_code=key,
        year=year,
        seq=seq,
        ref=ref,
        issued_at=clock.now(),
    )
    db.session.add(issued)
    db.session.flush()
    return issued.number


def void(number: str, reason: str, actor_id: int | None) -> IssuedNumber:
    """Mark a 发文字号 as void (作废) with a reason; the number is logged and never reused."""
    if not reason.strip():
        raise ValidationFailed("请填写作废原因", errors={"reason": "请填写作废原因"})
    issued = db.session.scalars(
        select(IssuedNumber).where(
            IssuedNumber.scope == SCOPE_OUTGOING, IssuedNumber.number == number
        )
    ).first()
    if issued is None:
        raise NotFound(f"文号“{number}”不存在")
    if issued.voided_at is not None:
        raise Conflict(f"文号“{number}”已作废")
    issued.voided_at = clock.now()
    issued.voided_by = actor_id
    issued.void_reason = reason.strip()
    actor = db.session.get(User, actor_id) if actor_id is not None else None
    audit.record(
        "numbering.void",
        user=actor,
        object_type="文号",
        object_id=number,
        detail={"reason": issued.void_reason, "ref": issued.ref},
    )
    db.session.flush()
    return issued


def issued_numbers(issuer_code: str, year: int) -> list[IssuedNumber]:
    """The register of one 代字 and year in number order, voided ones included."""
    return list(
        db.session.scalars(
            select(IssuedNumber)
            .where(
                IssuedNumber.scope == SCOPE_OUTGOING,
                IssuedNumber.issuer_code == issuer_code,
                IssuedNumber.year == year,
            )
            .order_by(IssuedNumber.seq)
        )
    )


def _next_seq(scope: str, key: str, year: int) -> int:
    """Atomically claim the counter's current value and advance it."""
    _ensure_counter(scope, key, year)
    stmt = (
        update(NumberCounter)
        .where(NumberCounter.scope == scope, NumberCounter.key == key, NumberCounter.year == year)
        .values(next_seq=NumberCounter.next_seq + 1)
        .returning(NumberCounter.next_seq)
        .execution_options(synchronize_session=False)
    )
    return int(db.session.execute(stmt).scalar_one()) - 1


def _ensure_counter(scope: str, key: str, year: int) -> None:
    """Create the counter row if missing; a concurrent creator wins silently (no error)."""
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = (
        insert(NumberCounter)
        .values(scope=scope, key=key, year=year, next_seq=1)
        .on_conflict_do_nothing(index_elements=["scope", "key", "year"])
    )
    db.session.execute(stmt)


def _check_code(issuer_code: str) -> None:
    if not _CODE_PATTERN.match(issuer_code or ""):
        raise ValidationFailed(
            "机关代字不合规", errors={"issuer_code": "机关代字不能为空，不能含空格、括号或数字"}
        )


def _check_year(year: int) -> None:
    if not 1949 <= year <= 9999:
        raise ValidationFailed("年份不合规", errors={"year": "年份应为四位数字"})
