"""``oa scheduler``: the worker process that fires timers and delivers messages."""

from __future__ import annotations

import threading

import click
from flask import current_app
from flask.cli import with_appcontext

from engine import scheduler as engine_scheduler
from services.db import db
from services.notify import outbox


@click.command("scheduler")
@click.option("--once", is_flag=True, help="只运行一轮（触发到期定时器、投递消息）后退出")
@click.option("--interval", type=int, default=None, help="运行间隔秒数（默认取配置）")
@with_appcontext
def scheduler(once: bool, interval: int | None) -> None:
    """在前台运行定时器与消息调度（可在多个进程中同时运行，每个定时器只触发一次）。"""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if once:
        result = engine_scheduler.run_once(app)
        click.echo(f"触发定时器 {result.timers_fired} 个，投递消息 {result.messages_delivered} 条")
        return
    running = engine_scheduler.start_scheduler(app, interval_seconds=interval)
    if running is None:
        raise click.ClickException("调度已在配置中关闭（OA_SCHEDULER_ENABLED=false）")
    click.echo("调度已启动，按 Ctrl+C 停止")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        click.echo("正在停止调度……")
    finally:
        running.shutdown(wait=True)


@click.command("notify-retry")
@click.option("--id", "ids", type=int, multiple=True, help="只重发这些编号的失败消息（可多次）")
@with_appcontext
def notify_retry(ids: tuple[int, ...]) -> None:
    """把发送失败的邮件/短信通知重新放回发送队列（下一轮调度即发送）。"""
    count = outbox.retry_failed(ids or None)
    db.session.commit()
    click.echo(f"已重新排队 {count} 条失败通知；当前队列：{outbox.counts()}")


COMMANDS = [scheduler, notify_retry]
