"""Tokens: issue with the login page's security, expiry on the injected clock, rotation,
revocation, and 401 JSON for every token that is not usable."""

from __future__ import annotations

import jwt
import pytest
from sqlalchemy import func, select

from services.audit.models import AuditEvent
from services.auth import accounts, tokens
from services.auth.models import LoginAttempt
from services.db import db
from services.org.models import User
from tests.api.helpers import PASSWORD, PREFIX, caller, request_token
from tests.auth.helpers import login
from tests.org.factories import make_user


def _audited(action: str) -> int:
    return db.session.scalar(select(func.count()).where(AuditEvent.action == action)) or 0


def _assert_401(response, code: str) -> None:
    assert response.status_code == 401
    error = response.get_json()["error"]
    assert error["code"] == code
    assert "令牌" in error["message"]
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_token_endpoint_issues_a_working_pair(client, org):
    response = request_token(client, "clerk")
    body = response.get_json()
    assert response.status_code == 200
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 15 * 60
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 15 * 60
    assert claims["sub"] == str(org.clerk.id)
    headers = {"Authorization": f"Bearer {body['access_token']}"}
    assert client.get(f"{PREFIX}/tasks", headers=headers).status_code == 200
    assert _audited("api.token_issued") == 1


def test_wrong_password_is_refused_and_recorded_like_the_login_page(client, org):
    response = request_token(client, "clerk", "wrong-password")
    assert response.status_code == 401
    assert response.get_json()["error"]["message"] == "用户名或密码错误"
    attempts = db.session.scalars(select(LoginAttempt).where(LoginAttempt.username == "clerk"))
    assert [a.reason for a in attempts] == ["bad_password"]


def test_lockout_counts_api_failures(client, org):
    for _ in range(5):
        request_token(client, "clerk", "wrong-password")
    response = request_token(client, "clerk")
    assert response.status_code == 401
    assert "锁定" in response.get_json()["error"]["message"]


def test_account_that_must_change_its_password_gets_403(client, org):
    accounts.account_of(org.clerk).must_change_password = True
    db.session.commit()
    response = request_token(client, "clerk")
    assert response.status_code == 403
    error = response.get_json()["error"]
    assert error["code"] == "password_change_required"
    assert "修改密码" in error["message"]


def test_a_forced_password_change_also_stops_issued_tokens(client, org):
    api = caller(client, "clerk")
    accounts.account_of(org.clerk).must_change_password = True
    db.session.commit()
    assert api.get("/tasks").status_code == 403


@pytest.mark.parametrize("field", ["username", "password"])
def test_missing_credentials_are_422(client, org, field):
    body = {"username": "clerk", "password": "x"}
    del body[field]
    response = client.post(f"{PREFIX}/auth/token", json=body)
    assert response.status_code == 422
    assert field in response.get_json()["error"]["errors"]


def test_access_token_expires_after_15_minutes(client, org, frozen_clock):
    api = caller(client, "clerk")
    frozen_clock.advance(minutes=14)
    assert api.get("/tasks").status_code == 200
    frozen_clock.advance(minutes=1)
    _assert_401(api.get("/tasks"), "token_expired")


def _forged(**changes) -> str:
    claims = {"iss": tokens.ISSUER, "sub": "1", "jti": "x", "fam": "f", "typ": "access"}
    claims.update(iat=0, exp=2**40, **changes)
    return jwt.encode(claims, "another-secret-key-of-enough-length!!", algorithm="HS256")


@pytest.mark.parametrize(
    "make_header",
    [
        lambda api: "Bearer garbage",
        lambda api: "Bearer " + api.access_token[:-4] + "AAAA",
        lambda api: "Bearer " + api.refresh_token,  # a refresh token is not an access token
        lambda api: "Bearer " + _forged(),
        lambda api: "Bearer " + jwt.encode({"sub": "1"}, None, algorithm="none"),
    ],
    ids=["garbage", "bad-signature", "refresh-as-access", "foreign-key", "alg-none"],
)
def test_unusable_tokens_get_401_json(client, org, make_header):
    api = caller(client, "clerk")
    response = client.get(f"{PREFIX}/tasks", headers={"Authorization": make_header(api)})
    _assert_401(response, "invalid_token")


def test_no_token_is_401_json(client, org):
    for path in ("/tasks", "/process-definitions", "/org/users", "/process-instances/1"):
        _assert_401(client.get(PREFIX + path), "no_token")


def test_the_browser_session_cookie_does_not_authenticate_the_api(client, org):
    assert login(client, "clerk", PASSWORD).status_code == 302
    _assert_401(client.get(f"{PREFIX}/tasks"), "no_token")


def test_refresh_rotates_and_a_replayed_refresh_token_revokes_the_login(client, org):
    api = caller(client, "clerk")
    first = client.post(f"{PREFIX}/auth/refresh", json={"refresh_token": api.refresh_token})
    assert first.status_code == 200
    fresh = first.get_json()
    assert fresh["refresh_token"] != api.refresh_token
    headers = {"Authorization": f"Bearer {fresh['access_token']}"}
    assert client.get(f"{PREFIX}/tasks", headers=headers).status_code == 200
    replay = client.post(f"{PREFIX}/auth/refresh", json={"refresh_token": api.refresh_token})
    _assert_401(replay, "invalid_token")
    # The thief's replay ends the whole login, including the tokens just issued.
    _assert_401(client.get(f"{PREFIX}/tasks", headers=headers), "invalid_token")
    again = client.post(f"{PREFIX}/auth/refresh", json={"refresh_token": fresh["refresh_token"]})
    assert again.status_code == 401
    assert _audited("api.token_reuse") == 1


def test_refresh_token_lives_8_hours(client, org, frozen_clock):
    api = caller(client, "clerk")
    frozen_clock.advance(minutes=8 * 60 - 1)
    ok = client.post(f"{PREFIX}/auth/refresh", json={"refresh_token": api.refresh_token})
    assert ok.status_code == 200
    frozen_clock.advance(minutes=8 * 60 + 1)
    late = client.post(
        f"{PREFIX}/auth/refresh", json={"refresh_token": ok.get_json()["refresh_token"]}
    )
    _assert_401(late, "token_expired")


@pytest.mark.parametrize("which", ["access_token", "refresh_token"])
def test_revoke_ends_the_login(client, org, which):
    api = caller(client, "clerk")
    response = client.post(f"{PREFIX}/auth/revoke", json={"token": getattr(api, which)})
    assert response.status_code == 200
    assert response.get_json()["revoked"] == 2
    _assert_401(api.get("/tasks"), "invalid_token")
    refused = client.post(f"{PREFIX}/auth/refresh", json={"refresh_token": api.refresh_token})
    assert refused.status_code == 401
    assert _audited("api.token_revoked") == 1


def test_revoke_refuses_garbage(client, org):
    _assert_401(client.post(f"{PREFIX}/auth/revoke", json={"token": "garbage"}), "invalid_token")


def test_deactivated_user_tokens_stop_working(client, org):
    api = caller(client, "clerk")
    db.session.get(User, org.clerk.id).active = False
    db.session.commit()
    assert api.get("/tasks").status_code == 401


def test_other_users_are_not_affected_by_a_revocation(client, org):
    mine, theirs = caller(client, "clerk"), caller(client, "depthead")
    client.post(f"{PREFIX}/auth/revoke", json={"token": mine.access_token})
    assert theirs.get("/tasks").status_code == 200


def test_purge_expired_drops_only_dead_rows(client, org, frozen_clock):
    caller(client, "clerk")
    frozen_clock.advance(minutes=16)
    assert tokens.purge_expired() == 1  # the access token; the refresh token still lives
    db.session.commit()


def test_user_without_password_gets_the_same_answer_as_a_wrong_password(client, org):
    make_user("nopass")
    db.session.commit()
    response = request_token(client, "nopass", "whatever")
    assert response.status_code == 401
    assert response.get_json()["error"]["message"] == "用户名或密码错误"
