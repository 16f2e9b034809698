"""The one configuration module: defaults, overridden by ``OA_*`` environment variables.

Nothing else in the code base reads ``os.environ``. Settings are validated when loaded, so a
mistyped value stops the platform at start-up with a message that names the variable.
"""

from __future__ import annotations

import dataclasses
import os
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ENV_PREFIX = "OA_"
PROJECT_ROOT = Path(__file__).resolve().parent.parent


class ConfigError(ValueError):
    """Raised when a setting is missing or invalid; the message is shown to the operator."""


@dataclass(frozen=True)
class Settings:
    """All tunable numbers and locations of the platform, with their defaults."""

    database_url: str = ""
    var_dir: Path = PROJECT_ROOT / "var"
    secret_key: str = ""
    debug: bool = False
    # Passwords (等保2.0 level 3 identification).
    password_min_length: int = 8
    password_min_classes: int = 3
    password_history: int = 5
    password_max_age_days: int = 90
    # argon2id cost (argon2-cffi's RFC 9106 defaults); tests lower it, production should not.
    argon2_time_cost: int = 3
    argon2_memory_kib: int = 65536
    argon2_parallelism: int = 4
    # Login failure handling.
    lockout_threshold: int = 5
    lockout_window_minutes: int = 15
    lockout_minutes: int = 30
    # Server-side sessions.
    session_idle_minutes: int = 30
    session_absolute_hours: int = 8
    session_cookie_secure: bool = False
    # Uploads.
    max_upload_mb: int = 50
    # Stored attachments (services/files): size of one file, and the kinds allowed (sniffed
    # from the content, never taken from the browser's word).
    attachment_max_mb: int = 20
    attachment_types: str = "pdf,docx,doc,xlsx,xls,ofd,jpg,png,zip,txt"
    # Handwritten signatures (我的签名): upload limit; stored as a PNG of at most this size.
    signature_max_kb: int = 2048
    signature_max_width: int = 600
    signature_max_height: int = 240
    # Reverse proxies in front of the app (for the client IP recorded in the audit log).
    trusted_proxy_count: int = 0
    # Warm LibreOffice processes per app process for .docx -> PDF (services/convert).
    convert_workers: int = 1
    # Timer and message jobs (engine/scheduler.py), run by `oa scheduler` worker processes.
    scheduler_enabled: bool = True
    scheduler_interval_seconds: int = 5
    # Audit console: most rows one .xlsx/CSV export may hold (larger ones must be narrowed).
    audit_export_max_rows: int = 50_000
    # 归档范围和保管期限表 (services/archive): a JSON file an archivist edits;
    # see docs/gongwen-records.md.
    archive_retention_file: Path = PROJECT_ROOT / "services" / "archive" / "retention_default.json"
    # 发文 step deadlines by 紧急程度: "紧急程度=办理期限/提前提醒;...";
    # parsed by services/gongwen/deadlines.
    fawen_deadlines: str = "特急=PT4H/PT1H;加急=P1D/PT4H;平件=P3D/P1D"
    # Notifications by e-mail and SMS (services/notify): an empty host / gateway URL turns the
    # channel off. Secrets are kept out of repr() so they never reach a log.
    notify_smtp_host: str = ""
    notify_smtp_port: int = 25
    notify_smtp_security: str = "none"  # none / starttls / ssl
    notify_smtp_username: str = ""
    notify_smtp_password: str = field(default="", repr=False)
    notify_mail_from: str = ""
    notify_smtp_timeout_seconds: int = 10
    notify_sms_gateway_url: str = ""
    notify_sms_api_key: str = field(default="", repr=False)
    notify_sms_sign: str = ""
    notify_sms_timeout_seconds: int = 10
    # The retry queue: attempts per message, first delay (doubled after each failure).
    notify_max_attempts: int = 5
    notify_retry_base_seconds: int = 60
    # The platform's address for links in e-mail/SMS ("https://oa.example.gov.cn"); empty: the
    # messages carry the path only (/tasks/12).
    notify_link_base: str = ""
    # External intake API (services/gongwen/intake): senders as
    # "代码=共享密钥@IP或网段,…;…" (kept out of repr()), and how old a signed request may be.
    intake_senders: str = field(default="", repr=False)
    intake_window_seconds: int = 300
    # Status callbacks to external senders (services/gongwen/intake_callbacks): request timeout,
    # attempts per event and the first retry delay (doubled after each failure).
    intake_callback_timeout_seconds: int = 10
    intake_callback_max_attempts: int = 8
    intake_callback_retry_base_seconds: int = 60
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def is_postgresql(self) -> bool:
        return self.database_url.startswith("postgresql")


_BOOL_TRUE = {"1", "true", "yes", "on"}
_BOOL_FALSE = {"0", "false", "no", "off", ""}


def _coerce(name: str, raw: str, kind: type) -> Any:
    if kind is bool:
        lowered = raw.strip().lower()
        if lowered in _BOOL_TRUE:
            return True
        if lowered in _BOOL_FALSE:
            return False
        raise ConfigError(f"配置项 {ENV_PREFIX}{name.upper()} 应为 true/false，实际为 {raw!r}")
    if kind is int:
        try:
            value = int(raw)
        except ValueError as exc:
            raise ConfigError(
                f"配置项 {ENV_PREFIX}{name.upper()} 应为整数，实际为 {raw!r}"
            ) from exc
        if value < 0:
            raise ConfigError(f"配置项 {ENV_PREFIX}{name.upper()} 不能为负数：{value}")
        return value
    if kind is Path:
        return Path(raw)
    return raw


def _field_types() -> dict[str, type]:
    hints = {"str": str, "int": int, "bool": bool, "Path": Path}
    return {
        f.name: hints.get(str(f.type), str)
        for f in dataclasses.fields(Settings)
        if f.name != "extra"
    }


def load_settings(environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
    """Build validated settings from defaults, ``OA_*`` variables and keyword overrides.

    ``DATABASE_URL`` is also accepted without the prefix, as hosting platforms set it.
    """
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for name, kind in _field_types().items():
        raw = env.get(ENV_PREFIX + name.upper())
        if raw is None and name == "database_url":
            raw = env.get("DATABASE_URL")
        if raw is not None:
            values[name] = _coerce(name, raw, kind)
    values.update(overrides)
    settings = Settings(**values)
    settings = _fill_defaults(settings)
    validate(settings)
    return settings


def _fill_defaults(settings: Settings) -> Settings:
    var_dir = Path(settings.var_dir)
    changes: dict[str, Any] = {"var_dir": var_dir}
    if not settings.database_url:
        changes["database_url"] = f"sqlite:///{var_dir / 'oa.sqlite3'}"
    if not settings.secret_key:
        changes["secret_key"] = _persistent_secret(var_dir)
    return dataclasses.replace(settings, **changes)


def _persistent_secret(var_dir: Path) -> str:
    """A per-installation random key kept in var/ (never a built-in default)."""
    var_dir.mkdir(parents=True, exist_ok=True)
    path = var_dir / "secret_key"
    try:
        # O_EXCL: when several workers start together exactly one writes, the others read it.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read_secret(path)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(secrets.token_urlsafe(48))
    return _read_secret(path)


def _read_secret(path: Path) -> str:
    # A concurrent writer may not have flushed yet; wait briefly for the full key.
    for _ in range(50):
        key = path.read_text(encoding="utf-8").strip()
        if len(key) >= 32:
            return key
        time.sleep(0.01)
    raise ConfigError(f"密钥文件 {path} 内容无效，请删除后重启或设置 OA_SECRET_KEY")


_installed: Settings | None = None


def install(settings: Settings) -> None:
    """Make ``settings`` the ones services read (called once by the app factory)."""
    global _installed
    _installed = settings


def current_settings() -> Settings:
    """The settings installed by the app factory; services read policy numbers from here."""
    if _installed is None:
        raise ConfigError("配置尚未加载：请通过应用工厂启动")
    return _installed


def validate(settings: Settings) -> None:
    """Refuse settings that cannot work, naming the variable at fault."""
    url = settings.database_url
    if not (url.startswith("sqlite") or url.startswith("postgresql")):
        raise ConfigError(
            f"{ENV_PREFIX}DATABASE_URL 只支持 sqlite:/// 或 postgresql+psycopg://，实际为 {url!r}"
        )
    if url.startswith("postgresql") and "+psycopg" not in url.split("://", 1)[0]:
        raise ConfigError("PostgreSQL 连接串请使用 postgresql+psycopg:// 驱动前缀")
    if len(settings.secret_key) < 32:
        raise ConfigError(f"{ENV_PREFIX}SECRET_KEY 至少需要 32 个字符")
    if settings.password_min_length < 8:
        raise ConfigError(f"{ENV_PREFIX}PASSWORD_MIN_LENGTH 不得小于 8（等保要求）")
    if not 1 <= settings.password_min_classes <= 4:
        raise ConfigError(f"{ENV_PREFIX}PASSWORD_MIN_CLASSES 应在 1 到 4 之间")
    if settings.argon2_memory_kib < 8 * settings.argon2_parallelism:
        raise ConfigError(f"{ENV_PREFIX}ARGON2_MEMORY_KIB 至少为 8 × 并行度")
    for name in (
        "argon2_time_cost",
        "argon2_parallelism",
        "lockout_threshold",
        "session_idle_minutes",
        "session_absolute_hours",
        "audit_export_max_rows",
        "attachment_max_mb",
        "signature_max_kb",
        "signature_max_width",
        "signature_max_height",
        "intake_window_seconds",
        "intake_callback_timeout_seconds",
        "intake_callback_max_attempts",
        "notify_max_attempts",
        "notify_smtp_timeout_seconds",
        "notify_sms_timeout_seconds",
    ):
        if getattr(settings, name) <= 0:
            raise ConfigError(f"{ENV_PREFIX}{name.upper()} 必须大于 0")
    if settings.session_idle_minutes > settings.session_absolute_hours * 60:
        raise ConfigError("会话空闲超时不能长于绝对超时")
    if settings.notify_smtp_security not in ("none", "starttls", "ssl"):
        raise ConfigError(f"{ENV_PREFIX}NOTIFY_SMTP_SECURITY 应为 none、starttls 或 ssl")
    if settings.notify_sms_gateway_url and not settings.notify_sms_gateway_url.startswith(
        ("http://", "https://")
    ):
        raise ConfigError(f"{ENV_PREFIX}NOTIFY_SMS_GATEWAY_URL 应以 http:// 或 https:// 开头")
    if settings.notify_link_base and not settings.notify_link_base.startswith(
        ("http://", "https://")
    ):
        raise ConfigError(f"{ENV_PREFIX}NOTIFY_LINK_BASE 应以 http:// 或 https:// 开头")
    from services.gongwen.deadlines import parse_deadlines  # local: config imports nothing

    parse_deadlines(settings.fawen_deadlines)
    from services.gongwen.intake_senders import parse_senders  # local, as above

    parse_senders(settings.intake_senders)
