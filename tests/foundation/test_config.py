"""Configuration: defaults, OA_* overrides, and clear start-up failures."""

from __future__ import annotations

import pytest

from services.config import ConfigError, load_settings


def test_defaults_use_sqlite_under_var(tmp_path) -> None:
    settings = load_settings(environ={"OA_VAR_DIR": str(tmp_path)})
    assert settings.database_url == f"sqlite:///{tmp_path / 'oa.sqlite3'}"
    assert settings.lockout_threshold == 5
    assert settings.session_idle_minutes == 30
    # A random per-installation secret is created and reused, never a built-in default.
    again = load_settings(environ={"OA_VAR_DIR": str(tmp_path)})
    assert settings.secret_key == again.secret_key
    assert len(settings.secret_key) >= 32


def test_environment_overrides(tmp_path) -> None:
    settings = load_settings(
        environ={
            "OA_VAR_DIR": str(tmp_path),
            "DATABASE_URL": "postgresql+psycopg://u@127.0.0.1/oa",
            "OA_LOCKOUT_THRESHOLD": "7",
            "OA_SESSION_COOKIE_SECURE": "true",
        }
    )
    assert settings.is_postgresql
    assert settings.lockout_threshold == 7
    assert settings.session_cookie_secure is True


@pytest.mark.parametrize(
    ("name", "value", "fragment"),
    [
        ("OA_LOCKOUT_THRESHOLD", "five", "OA_LOCKOUT_THRESHOLD"),
        ("OA_DATABASE_URL", "mysql://x", "DATABASE_URL"),
        ("OA_DATABASE_URL", "postgresql://u@h/db", "psycopg"),
        ("OA_PASSWORD_MIN_LENGTH", "6", "PASSWORD_MIN_LENGTH"),
        ("OA_SECRET_KEY", "short", "SECRET_KEY"),
        ("OA_SESSION_COOKIE_SECURE", "maybe", "SESSION_COOKIE_SECURE"),
    ],
)
def test_invalid_values_fail_with_named_variable(tmp_path, name, value, fragment) -> None:
    with pytest.raises(ConfigError, match=fragment):
        load_settings(environ={"OA_VAR_DIR": str(tmp_path), name: value})


def test_cli_reports_bad_configuration(tmp_path) -> None:
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "web.cli", "init-db"],
        env={"OA_VAR_DIR": str(tmp_path), "OA_LOCKOUT_THRESHOLD": "x", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert "配置错误" in result.stderr


def test_every_setting_is_documented() -> None:
    import dataclasses
    from pathlib import Path

    from services.config import ENV_PREFIX, Settings

    doc = (Path(__file__).resolve().parents[2] / "docs" / "configuration.md").read_text("utf-8")
    missing = [
        ENV_PREFIX + f.name.upper()
        for f in dataclasses.fields(Settings)
        if f.name != "extra" and ENV_PREFIX + f.name.upper() not in doc
    ]
    assert missing == [], f"undocumented settings: {missing}"
