"""The hash chain detects altered, inserted and deleted rows; triggers refuse UPDATE/DELETE."""

from __future__ import annotations

import itertools

import pytest
from flask import Flask
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from services.audit import log as audit
from services.audit.models import GENESIS_HASH, AuditEvent
from services.db import db
from tests.audit.helpers import tamper
from tests.auth.helpers import make_user


@pytest.fixture
def chain(app: Flask) -> list[AuditEvent]:
    """Five committed events."""
    user = make_user("actor", password=None)
    events = [
        audit.record(
            "doc.view",
            user=user,
            ip="10.0.0.1",
            user_agent="UA",
            object_type="doc",
            object_id=n,
            detail={"n": n, "标题": "关于开展安全检查的通知"},
        )
        for n in range(5)
    ]
    db.session.commit()
    return events


def test_events_are_chained(chain: list[AuditEvent]) -> None:
    assert [e.seq for e in chain] == [1, 2, 3, 4, 5]
    assert chain[0].prev_hash == GENESIS_HASH
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(chain))
    report = audit.verify()
    assert report.ok and report.count == 5


def test_context_fills_who_and_where(app: Flask) -> None:
    ctx = audit.AuditContext(ip="192.168.1.9", user_agent="Firefox", user_id=7, username="ctx")
    with audit.audit_context(ctx):
        event = audit.record("x.y")
    assert (event.ip, event.user_agent, event.user_id, event.username) == (
        "192.168.1.9",
        "Firefox",
        7,
        "ctx",
    )


def test_secrets_never_reach_the_detail(app: Flask) -> None:
    event = audit.record("x.y", detail={"password": "p", "new_password": "q", "role": "r"})
    assert event.detail == {"role": "r"}


@pytest.mark.parametrize(
    "statement", ["UPDATE audit_event SET action = 'x'", "DELETE FROM audit_event"]
)
def test_triggers_refuse_update_and_delete(chain, statement: str) -> None:
    with pytest.raises(DatabaseError, match="只允许追加"):
        db.session.execute(text(statement))
    db.session.rollback()
    assert audit.verify().ok


@pytest.mark.postgres_only
def test_truncate_is_refused_on_postgresql(chain) -> None:
    with pytest.raises(DatabaseError, match="只允许追加"):
        db.session.execute(text("TRUNCATE audit_event"))
    db.session.rollback()


@pytest.mark.parametrize(
    "change",
    [
        "action = 'doc.download'",
        "ip = '6.6.6.6'",
        "detail = '{\"n\": 99}'",
        "at = at",
    ],  # a no-op update is not tampering: controls the test itself
)
def test_altered_row_is_named(chain: list[AuditEvent], change: str) -> None:
    victim = chain[2]
    tamper(f"UPDATE audit_event SET {change} WHERE id = :id", id=victim.id)
    report = audit.verify()
    if change == "at = at":
        assert report.ok
        return
    assert (report.ok, report.problem, report.seq, report.event_id) == (
        False,
        "altered",
        3,
        victim.id,
    )
    assert "序号 3" in report.message


def test_deleted_row_is_reported(chain: list[AuditEvent]) -> None:
    tamper("DELETE FROM audit_event WHERE id = :id", id=chain[1].id)
    report = audit.verify()
    assert (report.ok, report.problem, report.seq, report.event_id) == (
        False,
        "deleted",
        3,
        chain[2].id,
    )
    assert "序号 2" in report.message


def test_deleted_tail_is_reported(chain: list[AuditEvent]) -> None:
    tamper("DELETE FROM audit_event WHERE id = :id", id=chain[4].id)
    report = audit.verify()
    assert (report.ok, report.problem, report.seq) == (False, "truncated", 5)


def test_recomputed_row_still_breaks_the_link(chain: list[AuditEvent]) -> None:
    """An attacker who recomputes the altered row's own hash breaks the next row's link."""
    victim = chain[1]
    tamper("UPDATE audit_event SET action = 'forged' WHERE id = :id", id=victim.id)
    row = db.session.get(AuditEvent, victim.id)
    new_hash = audit.event_hash(row)
    tamper("UPDATE audit_event SET hash = :h WHERE id = :id", h=new_hash, id=victim.id)
    report = audit.verify()
    assert (report.problem, report.seq, report.event_id) == ("inserted", 3, chain[2].id)


def test_inserted_row_is_reported(chain: list[AuditEvent]) -> None:
    last = chain[-1]
    tamper(
        "INSERT INTO audit_event (seq, at, action, result, prev_hash, hash) "
        "VALUES (6, :at, 'forged', 'success', :prev, :h)",
        at=last.at.replace(tzinfo=None) if db.engine.dialect.name == "sqlite" else last.at,
        prev=last.hash,
        h="f" * 64,
    )
    report = audit.verify()
    assert (report.ok, report.seq) == (False, 6)


def test_appends_continue_the_chain_across_transactions(chain: list[AuditEvent]) -> None:
    audit.record("later")
    db.session.commit()
    report = audit.verify()
    assert report.ok and report.count == 6


def test_concurrent_appends_keep_one_chain(app: Flask) -> None:
    """Writers in separate transactions: the head row serialises them, no fork, no gap."""
    import threading

    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            with app.app_context():
                for i in range(5):
                    audit.record("concurrent", object_type="writer", object_id=f"{n}-{i}")
                    db.session.commit()
                db.session.remove()
        except BaseException as exc:  # reported below, a thread cannot raise into pytest
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    report = audit.verify()
    assert report.ok and report.count == 20
