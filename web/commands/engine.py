"""Process commands: deploy BPMN/DMN files, list definitions, print an instance's history,
replay and migrate instances, list and retry incidents."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from engine import api
from engine.definitions import repository
from engine.errors import DeployError
from services.audit import log as audit
from services.db import db
from services.errors import OAError
from services.org import directory, grants
from services.org.models import User
from services.org.roles import SYSADMIN
from web.filters import local_time

DEPLOYABLE_SUFFIXES = (".bpmn", ".dmn")


def _collect(paths: tuple[str, ...]) -> dict[str, bytes]:
    """Files named directly, plus every .bpmn/.dmn under named directories (sorted)."""
    files: dict[str, bytes] = {}
    for raw in paths:
        path = Path(raw)
        candidates = sorted(path.rglob("*")) if path.is_dir() else [path]
        for candidate in candidates:
            if candidate.is_file() and candidate.suffix in DEPLOYABLE_SUFFIXES:
                files[candidate.name] = candidate.read_bytes()
    return files


@click.command("deploy")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--comment", default="", help="版本说明")
@click.option("--tag", default=None, help="版本标签")
@with_appcontext
def deploy(paths: tuple[str, ...], comment: str, tag: str | None) -> None:
    """部署 BPMN/DMN 文件（或目录），每个可执行流程生成一个新版本；内容未变则不新建。"""
    files = _collect(paths)
    if not files:
        raise click.UsageError("没有找到 .bpmn 或 .dmn 文件")
    try:
        deployed = repository.deploy(files, deployed_by=None, comment=comment, tag=tag)
    except DeployError as exc:
        db.session.rollback()
        click.echo(f"部署失败，共 {len(exc.messages)} 个问题：", err=True)
        for message in exc.messages:
            click.echo(f"  - {message}", err=True)
        sys.exit(1)
    db.session.commit()
    for item in deployed:
        state = "新版本" if item.created else "内容未变，沿用"
        click.echo(f"{item.key}（{item.name}）v{item.version}：{state}")


@click.command("processes")
@with_appcontext
def processes() -> None:
    """列出已部署的流程及其版本。"""
    rows = repository.list_definitions()
    if not rows:
        click.echo("尚未部署任何流程。")
        return
    for row in rows:
        versions = f"最新 v{row.latest_version}（共 {row.version_count} 个版本）"
        deployed = f"部署于 {local_time(row.deployed_at)}"
        click.echo(f"{row.key:<20} {row.name:<16} {versions} {deployed} {row.comment}")


@click.command("history")
@click.argument("instance_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
@with_appcontext
def history(instance_id: int, as_json: bool) -> None:
    """打印流程实例的历史事件，并校验其哈希链。"""
    events = api.history(instance_id)
    check = api.verify_history(instance_id)
    if as_json:
        payload = [{**e.__dict__, "at": e.at.isoformat()} for e in events]
        click.echo(json.dumps(payload, ensure_ascii=False, indent=2))
    else:
        for e in events:
            who = f"用户#{e.actor_id}" if e.actor_id else "系统"
            what = e.task_name or e.task_spec or ""
            click.echo(
                f"{e.seq:>4} {local_time(e.at, '%Y-%m-%d %H:%M:%S')} {who:<10} {e.kind} {what}"
            )
    click.echo(("哈希链完整" if check.ok else f"哈希链异常：{check.message}"), err=not check.ok)
    if not check.ok:
        sys.exit(1)


@click.command("replay")
@click.argument("instance_id", type=int)
@with_appcontext
def replay(instance_id: int) -> None:
    """重放流程实例的记录输入并逐条核对事件；不一致或被篡改时退出码为 1。"""
    report = api.replay_instance(instance_id)
    db.session.rollback()  # replay only reads; leave nothing behind
    click.echo(report.message, err=not report.ok)
    if not report.ok:
        sys.exit(1)


def _echo_plan(plan: api.MigrationPlan) -> None:
    for item in plan.instances:
        verdict = "可以迁移" if item.allowed else "拒绝迁移"
        click.echo(f"实例 {item.instance_id}（{item.title}）：{verdict}")
        if item.diff is not None:
            for label, nodes in (("新增", item.diff.added), ("删除", item.diff.removed)):
                for node in nodes:
                    click.echo(f"  {label}环节 {node.name}（{node.spec}）")
            for node in item.diff.changed:
                click.echo(f"  修改环节 {node.name}（{node.spec}）：{'、'.join(node.fields)}")
        for task in item.tasks:
            click.echo(f"  当前环节 {task.name}：{task.outcome}")
        for reason in item.reasons:
            click.echo(f"  原因：{reason}")


@click.command("migrate")
@click.argument("instance_ids", nargs=-1, required=True, type=int)
@click.option("--to-version", "to_version", type=int, required=True, help="目标版本号，如 2")
@click.option("--apply", "apply_it", is_flag=True, help="执行迁移（默认只预演，不写入）")
@with_appcontext
def migrate(instance_ids: tuple[int, ...], to_version: int, apply_it: bool) -> None:
    """预演（或用 --apply 执行）把运行中的实例迁移到流程的另一个版本。"""
    process_key = api.get_instance(instance_ids[0]).process_key
    plan = api.plan_migration(list(instance_ids), api.version_id_for(process_key, to_version))
    _echo_plan(plan)
    if not plan.allowed:
        db.session.rollback()
        click.echo("迁移被拒绝，未做任何修改。", err=True)
        sys.exit(1)
    if not apply_it:
        db.session.rollback()
        click.echo("以上为预演，未做任何修改；加 --apply 执行迁移。")
        return
    migrated = api.apply_migration(plan, None)
    db.session.commit()
    click.echo(f"已迁移 {len(migrated)} 个实例到 v{to_version}。")


def _echo_incidents() -> None:
    open_incidents = api.list_incidents()
    failed = api.list_failed_timers()
    if not open_incidents and not failed:
        click.echo("没有待处理的异常。")
        return
    for i in open_incidents:
        click.echo(
            f"异常 {i.id}  实例 {i.instance_id}  环节 {i.task_name}（{i.task_spec}）"
            f"  服务 {i.service}  失败 {i.attempts} 次  {local_time(i.created_at)}  {i.message}"
        )
    for t in failed:
        where = f"实例 {t.instance_id}" if t.instance_id else f"流程 {t.process_key}（定时启动）"
        label = "定时器" if t.kind == "timer" else "定时启动"
        click.echo(
            f"{label} {t.id}  {where}  环节 {t.task_name}  到期 {local_time(t.due_at)}"
            f"  失败 {t.attempts} 次  {t.last_error}"
        )


def _admin_user(username: str | None) -> User:
    user = directory.get_user_by_username(username or "")
    if user is None or not grants.has_role(user, SYSADMIN):
        raise click.UsageError("请用 --admin 指定一位系统管理员的用户名")
    return user


@click.command("incidents")
@click.option("--retry", "retry_id", type=int, default=None, help="重试该编号的服务任务异常")
@click.option("--retry-timer", "timer_id", type=int, default=None, help="重新排队失败的定时器")
@click.option(
    "--retry-start-timer", "start_timer_id", type=int, default=None, help="重新排队失败的定时启动"
)
@click.option("--admin", "admin_name", default=None, help="执行重试的系统管理员用户名")
@with_appcontext
def incidents(
    retry_id: int | None, timer_id: int | None, start_timer_id: int | None, admin_name: str | None
) -> None:
    """列出待处理的异常（服务任务出错、失败的定时器与定时启动），或重试其中一个。"""
    chosen = [
        (k, v)
        for k, v in (("incident", retry_id), ("timer", timer_id), ("start_timer", start_timer_id))
        if v is not None
    ]
    if not chosen:
        _echo_incidents()
        return
    if len(chosen) > 1:
        raise click.UsageError("一次只能重试一项")
    kind, row_id = chosen[0]
    _retry(kind, row_id, _admin_user(admin_name))
    db.session.commit()


def _retry(kind: str, row_id: int, admin: User) -> None:
    try:
        if kind == "incident":
            view = api.retry_incident(row_id, admin_id=admin.id)
        else:
            api.retry_failed_timer(kind, row_id)
    except OAError as exc:
        db.session.rollback()
        click.echo(f"重试失败：{exc.message}", err=True)
        sys.exit(1)
    audit.record(f"{kind}.retry", user=admin, object_type=f"engine_{kind}", object_id=row_id)
    if kind != "incident":
        click.echo(f"已重新排队，调度进程将在下一轮触发（编号 {row_id}）。")
    elif view.open:
        click.echo(f"异常 {row_id} 重试后仍失败：{view.message}")
    else:
        click.echo(f"异常 {row_id} 已解决，流程实例 {view.instance_id} 继续运行。")


COMMANDS = [deploy, processes, history, replay, migrate, incidents]
