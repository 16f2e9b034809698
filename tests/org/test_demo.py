"""The demo city: 82 units, complete posts in every unit, the documented logins, same data."""

from __future__ import annotations

import time
from collections import Counter

import pytest
from sqlalchemy import select

from services.auth import accounts, passwords
from services.db import db
from services.errors import Conflict, ValidationFailed
from services.org import demo, directory
from services.org.models import Department, LeaderCharge, Unit, User
from services.org.roles import ANALYST, AUDITOR, REGISTRAR, SECADMIN, SYSADMIN

PASSWORD = "Demo@2025oa"

DOCUMENTED = {
    # username: (position code, role held or None)
    "clerk": ("staff", None),
    "depthead": ("dept_head", None),
    "officedir": ("office_director", None),
    "leader": ("deputy", None),
    "chief": ("principal", None),
    "registrar": ("staff", REGISTRAR),
    "sysadmin": ("staff", SYSADMIN),
    "secadmin": ("staff", SECADMIN),
    "auditor": ("staff", AUDITOR),
    "analyst": ("staff", ANALYST),
}


@pytest.fixture
def summary(app) -> demo.DemoSummary:
    started = time.perf_counter()
    loaded = demo.load_demo(PASSWORD)
    db.session.commit()
    assert time.perf_counter() - started < 10
    return loaded


def test_city_has_82_units_in_a_tree(summary: demo.DemoSummary) -> None:
    units = db.session.scalars(select(Unit)).all()
    assert summary.units == len(units) == 82
    kinds = Counter(u.kind for u in units)
    assert kinds["leading"] == 4 and kinds["department"] >= 45 and kinds["town"] >= 20
    assert {u.short_name for u in units if u.parent_id is None and u.kind == "leading"} == {
        "市委", "市人大常委会", "市政府", "市政协",
    }  # fmt: skip
    by_name = {u.short_name: u for u in units}
    assert by_name["市教育局"].parent.short_name == "市政府"
    assert by_name["市委组织部"].parent.short_name == "市委"
    assert by_name["市教育局"].issuer_code == "江教"
    assert len({u.org_code for u in units}) == 82
    assert 300 <= summary.users <= 600
    assert summary.departments == db.session.query(Department).count()


def test_every_unit_has_an_office_a_principal_and_posts(summary: demo.DemoSummary) -> None:
    for unit in db.session.scalars(select(Unit)):
        offices = [d for d in unit.departments if d.is_office]
        assert len(offices) == 1, unit.name
        assert 2 <= len(unit.departments) - 1 <= 5, unit.name
        assert directory.principal_leader(unit.id) is not None, unit.name
        assert directory.office_director(unit.id) is not None, unit.name
        assert 1 <= len(directory.unit_leaders(unit.id)) - 1 <= 3, unit.name
        assert len(directory.role_members(REGISTRAR, unit.id)) == 1, unit.name
        for department in unit.departments:
            assert directory.supervising_leader(department.id) is not None, department.name
            if not department.is_office:
                assert directory.department_head(department.id) is not None, department.name


def test_every_deputy_has_charges_in_own_unit(summary: demo.DemoSummary) -> None:
    deputies = db.session.scalars(select(User).where(User.position_code == "deputy")).all()
    assert deputies
    for deputy in deputies:
        charged = directory.leader_charges(deputy.id)
        assert charged and all(d.unit_id == deputy.unit_id for d in charged), deputy.username
    assert db.session.query(LeaderCharge).count() == summary.departments


def test_documented_logins(summary: demo.DemoSummary) -> None:
    assert [login.username for login in summary.logins] == list(DOCUMENTED)
    for username, (position, role) in DOCUMENTED.items():
        user = directory.get_user_by_username(username)
        assert user is not None and user.position_code == position, username
        assert {r.role_code for r in user.roles} == ({role} if role else set()), username
    chief = directory.get_user_by_username("chief")
    leader = directory.get_user_by_username("leader")
    depthead = directory.get_user_by_username("depthead")
    clerk = directory.get_user_by_username("clerk")
    assert chief.unit.short_name == "市教育局" and clerk.unit_id == chief.unit_id
    assert clerk.department_id == depthead.department_id
    assert directory.department_head(clerk.department_id) is depthead
    assert directory.supervising_leader(clerk.department_id) is leader
    assert directory.principal_leader(chief.unit_id) is chief
    admins = {directory.get_user_by_username(u).id for u in ("sysadmin", "secadmin", "auditor")}
    assert len(admins) == 3  # 三员分立: three different people


def test_every_demo_user_has_the_demo_password(summary: demo.DemoSummary) -> None:
    # One load for several users: a documented login, a generated one, the last unit's first.
    for username in ("chief", "auditor", "jyj_008", "dhz_001"):
        user = directory.get_user_by_username(username)
        assert user is not None, username
        account = accounts.account_of(user)
        assert account is not None and not account.must_change_password, username
        assert passwords.verify_password(account.password_hash, PASSWORD), username
        assert not passwords.verify_password(account.password_hash, "Wrong@2025oa"), username


def test_same_data_every_run(app) -> None:
    def snapshot() -> list[tuple[str, ...]]:
        rows = db.session.execute(
            select(User.username, User.name, Unit.code, User.position_code, User.mobile)
            .join(Unit, User.unit_id == Unit.id)
            .order_by(User.username)
        )
        return [tuple(r) for r in rows]

    demo.load_demo(PASSWORD)
    first = snapshot()
    db.session.rollback()
    assert snapshot() == []
    demo.load_demo(PASSWORD)
    assert snapshot() == first
    assert len({name for _u, name, *_ in first}) == len(first)  # no two people share a name


def test_refuses_a_non_empty_directory(summary: demo.DemoSummary) -> None:
    assert not demo.org_is_empty()
    with pytest.raises(Conflict):
        demo.load_demo(PASSWORD)


def test_weak_password_is_refused(app) -> None:
    with pytest.raises(ValidationFailed):
        demo.load_demo("short")
