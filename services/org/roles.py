"""The platform's built-in roles. 三员分立: the three administrator roles are mutually exclusive."""

from __future__ import annotations

from dataclasses import dataclass

SANYUAN = "sanyuan"

SYSADMIN = "sysadmin"
SECADMIN = "secadmin"
AUDITOR = "auditor"
ANALYST = "analyst"
REGISTRAR = "registrar"
ARCHIVIST = "archivist"


@dataclass(frozen=True)
class RoleDef:
    code: str
    name: str
    exclusive_group: str | None
    description: str


BUILTIN_ROLES = (
    RoleDef(SYSADMIN, "系统管理员", SANYUAN, "用户、组织、流程部署与运行维护"),
    RoleDef(SECADMIN, "安全管理员", SANYUAN, "安全策略、账号解锁与密码重置、角色授权"),
    RoleDef(AUDITOR, "审计管理员", SANYUAN, "查阅与核验审计日志、流程回放"),
    RoleDef(ANALYST, "流程设计员", None, "设计、校验流程并提交部署"),
    RoleDef(REGISTRAR, "收发员", None, "本单位公文签收、登记与分发"),
    RoleDef(ARCHIVIST, "档案员", None, "本单位公文归档与档案管理"),
)
