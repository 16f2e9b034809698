"""``oa intake-callbacks``: the status callbacks owed to external senders that gave up."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from services import clock
from services.db import db
from services.gongwen import intake_callbacks


@click.command("intake-callbacks")
@click.option("--retry", is_flag=True, help="把失败的回调重新放回发送队列（下一轮调度即发送）")
@click.option("--id", "ids", type=int, multiple=True, help="只处理这些编号的回调（可多次）")
@with_appcontext
def intake_callbacks_command(retry: bool, ids: tuple[int, ...]) -> None:
    """列出发送失败的外部收文状态回调（签收/退文/办结），或将其重新排队。"""
    if retry:
        count = intake_callbacks.retry_failed(ids or None)
        db.session.commit()
        click.echo(f"已重新排队 {count} 条失败回调")
    for row in intake_callbacks.failed_callbacks():
        if not ids or row.id in ids:
            when = clock.as_utc(row.created_at).isoformat(timespec="seconds")
            click.echo(
                f"#{row.id} {row.sender} {row.event} 回执{row.receipt_id} {when}：{row.last_error}"
            )
    click.echo(f"当前队列：{intake_callbacks.counts()}")


COMMANDS = [intake_callbacks_command]
