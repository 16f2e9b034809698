"""Password policy (等保2.0: complexity, no username, no reuse, maximum age)."""

from __future__ import annotations

import pytest
from flask import Flask

from services.auth import accounts, passwords
from services.config import current_settings
from services.errors import ValidationFailed
from tests.auth.helpers import PASSWORD, make_user


@pytest.mark.parametrize(
    ("password", "expected"),
    [
        ("Ab1#", "长度不能少于 8 位"),
        ("abcdefgh1", "3 类"),  # two classes only
        ("ABCDEFGH!", "3 类"),
        ("zhangwei#A1", "不能包含用户名"),
        ("ZhangWei2025!", "不能包含用户名"),  # case-insensitive
    ],
)
def test_policy_refuses(app: Flask, password: str, expected: str) -> None:
    user = make_user("zhangwei", password=None)
    problems = passwords.check_policy(user, password)
    assert any(expected in p for p in problems), problems


@pytest.mark.parametrize("password", ["Abcdefg1", "abcdef1!", "ABCDEF1!", "Ab!defgh", "长城Abc123"])
def test_policy_accepts_three_of_four_classes(app: Flask, password: str) -> None:
    user = make_user("lisi", password=None)
    assert passwords.check_policy(user, password) == []


def test_set_password_raises_with_chinese_messages(app: Flask) -> None:
    user = make_user(password=None)
    with pytest.raises(ValidationFailed) as caught:
        accounts.set_password(user, "short", must_change=False)
    assert "长度" in caught.value.errors["password"]
    assert accounts.account_of(user) is None


def test_last_five_passwords_cannot_be_reused(app: Flask) -> None:
    user = make_user(password="Start#Pass01")
    for n in range(2, 6):
        accounts.change_password(user, f"Start#Pass0{n - 1}", f"Start#Pass0{n}")
    with pytest.raises(ValidationFailed, match="不符合") as caught:
        accounts.change_password(user, "Start#Pass05", "Start#Pass01")
    assert "最近 5 次" in caught.value.errors["password"]
    accounts.change_password(user, "Start#Pass05", "Start#Pass06")
    # Pass01 is now the sixth-newest: allowed again.
    accounts.change_password(user, "Start#Pass06", "Start#Pass01")


def test_change_password_checks_the_old_one(app: Flask) -> None:
    user = make_user()
    with pytest.raises(ValidationFailed) as caught:
        accounts.change_password(user, "wrong", "Other#Pass2025")
    assert caught.value.errors == {"old_password": "原密码不正确"}


def test_expiry_after_max_age(app: Flask, frozen_clock) -> None:
    user = make_user(password=PASSWORD)
    days = current_settings().password_max_age_days
    frozen_clock.advance(days=days)
    assert not accounts.needs_password_change(user)
    frozen_clock.advance(minutes=1)
    assert accounts.needs_password_change(user)


def test_hash_is_argon2_and_verifies(app: Flask) -> None:
    user = make_user()
    account = accounts.account_of(user)
    assert account is not None and account.password_hash.startswith("$argon2id$")
    assert passwords.verify_password(account.password_hash, PASSWORD)
    assert not passwords.verify_password(account.password_hash, PASSWORD + "x")


def test_generated_password_passes_policy(app: Flask) -> None:
    user = make_user()
    for _ in range(20):
        assert passwords.check_policy(user, passwords.generate_password(user)) == []


def test_history_keeps_only_what_the_rule_needs(app: Flask) -> None:
    from sqlalchemy import func, select

    from services.auth.models import PasswordHistory
    from services.db import db

    user = make_user(password="Start#Pass01")
    for n in range(2, 9):
        accounts.change_password(user, f"Start#Pass0{n - 1}", f"Start#Pass0{n}")
    count = select(func.count()).where(PasswordHistory.user_id == user.id)
    assert db.session.scalar(count) == current_settings().password_history
