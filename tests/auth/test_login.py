"""Login failure handling: lockout after 5 failures in 15 minutes, for 30 minutes, with alerts."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select

from services.auth import accounts
from services.auth.login import WRONG_CREDENTIALS, authenticate
from services.auth.models import LoginAttempt
from services.db import db
from services.errors import AuthenticationFailed
from services.notify.models import Notification
from services.org.roles import AUDITOR, SECADMIN, SYSADMIN
from tests.auth.helpers import PASSWORD, make_user

IP = "10.1.2.3"
UA = "pytest-browser/1.0"


def fail(username: str, times: int = 1, password: str = "Wrong#Pass1") -> list[str]:
    messages = []
    for _ in range(times):
        with pytest.raises(AuthenticationFailed) as caught:
            authenticate(username, password, IP, UA)
        messages.append(caught.value.message)
    return messages


def test_right_password_logs_in_and_records_the_attempt(app: Flask, frozen_clock) -> None:
    user = make_user("wangwu")
    assert authenticate("wangwu", PASSWORD, IP, UA) is user
    attempt = db.session.scalars(select(LoginAttempt)).one()
    assert (attempt.success, attempt.ip, attempt.user_agent, attempt.at) == (
        True,
        IP,
        UA,
        frozen_clock.current,
    )


@pytest.mark.parametrize("username", ["wangwu", "nobody"])
def test_message_does_not_reveal_whether_the_user_exists(app: Flask, username: str) -> None:
    make_user("wangwu")
    assert fail(username) == [WRONG_CREDENTIALS]
    attempt = db.session.scalars(select(LoginAttempt)).one()
    assert (attempt.username, attempt.success, attempt.ip) == (username, False, IP)


def test_five_failures_lock_even_the_right_password(app: Flask, frozen_clock) -> None:
    make_user("wangwu")
    messages = fail("wangwu", 5)
    assert messages[:4] == [WRONG_CREDENTIALS] * 4
    # 01:00 UTC + 30 min is 09:30 Beijing time.
    assert "已锁定" in messages[4] and "09:30" in messages[4]
    frozen_clock.advance(minutes=29)
    with pytest.raises(AuthenticationFailed, match="已锁定"):
        authenticate("wangwu", PASSWORD, IP, UA)
    frozen_clock.advance(minutes=1)
    assert authenticate("wangwu", PASSWORD, IP, UA).username == "wangwu"


def test_failures_outside_the_window_do_not_count(app: Flask, frozen_clock) -> None:
    make_user("wangwu")
    fail("wangwu", 4)
    frozen_clock.advance(minutes=15, seconds=1)
    assert fail("wangwu", 4) == [WRONG_CREDENTIALS] * 4
    assert authenticate("wangwu", PASSWORD, IP, UA).username == "wangwu"


def test_success_resets_the_count(app: Flask) -> None:
    make_user("wangwu")
    fail("wangwu", 4)
    authenticate("wangwu", PASSWORD, IP, UA)
    assert fail("wangwu", 4) == [WRONG_CREDENTIALS] * 4


def test_lockout_alerts_sysadmins_and_secadmins(app: Flask) -> None:
    sysadmin = make_user("sys", roles=(SYSADMIN,))
    secadmin = make_user("sec", roles=(SECADMIN,))
    auditor = make_user("aud", roles=(AUDITOR,))
    make_user("wangwu", name="王五")
    fail("wangwu", 5)
    notes = db.session.scalars(select(Notification)).all()
    assert sorted(n.user_id for n in notes) == sorted([sysadmin.id, secadmin.id])
    assert auditor.id not in {n.user_id for n in notes}
    assert "wangwu" in notes[0].title and IP in notes[0].body


def test_unlock_lifts_the_lock_before_it_expires(app: Flask) -> None:
    user = make_user("wangwu")
    secadmin = make_user("sec", roles=(SECADMIN,))
    fail("wangwu", 5)
    accounts.unlock(user, secadmin)
    assert authenticate("wangwu", PASSWORD, IP, UA) is user


def test_inactive_user_cannot_log_in(app: Flask) -> None:
    user = make_user("wangwu")
    user.active = False
    with pytest.raises(AuthenticationFailed, match="停用"):
        authenticate("wangwu", PASSWORD, IP, UA)


def test_admin_reset_also_unlocks(app: Flask) -> None:
    user = make_user("wangwu")
    secadmin = make_user("sec", roles=(SECADMIN,))
    fail("wangwu", 5)
    temporary = accounts.admin_reset_password(user, secadmin)
    assert authenticate("wangwu", temporary, IP, UA) is user
    assert accounts.needs_password_change(user)


@pytest.mark.parametrize("actor_role", [SYSADMIN, AUDITOR])
def test_only_the_security_administrator_resets_and_unlocks(app: Flask, actor_role: str) -> None:
    from services.errors import Forbidden

    user = make_user("wangwu")
    actor = make_user("admin", roles=(actor_role,))
    with pytest.raises(Forbidden):
        accounts.admin_reset_password(user, actor)
    with pytest.raises(Forbidden):
        accounts.unlock(user, actor)
