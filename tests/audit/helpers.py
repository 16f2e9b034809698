"""Acting as an attacker with database access: drop the append-only triggers first."""

from __future__ import annotations

from sqlalchemy import text

from services.db import db


def drop_append_only_triggers() -> None:
    """What someone with DDL rights would do before editing the audit table."""
    if db.engine.dialect.name == "sqlite":
        statements = [
            "DROP TRIGGER IF EXISTS audit_event_no_update",
            "DROP TRIGGER IF EXISTS audit_event_no_delete",
        ]
    else:
        statements = ["DROP TRIGGER IF EXISTS audit_event_append_only ON audit_event"]
    for statement in statements:
        db.session.execute(text(statement))
    db.session.commit()


def tamper(sql: str, **params: object) -> None:
    """Run ``sql`` on the audit table behind the application's back."""
    drop_append_only_triggers()
    db.session.execute(text(sql), params)
    db.session.commit()
    db.session.expire_all()
