"""Official document commands: ``oa check-format`` (GB/T 9704 checker) and ``oa render-sample``."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from services.documents import redhead
from services.documents.format_check import ERROR, check_docx
from services.documents.samples import SAMPLE_KINDS, sample_document
from services.errors import OAError

SEVERITY_LABELS = {ERROR: "错误", "warning": "警告"}


@click.command("check-format")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--kind", help="文种（如 请示、函）；省略时从标题推断")
@with_appcontext
def check_format(path: Path, kind: str | None) -> None:
    """按 GB/T 9704-2012 检查 .docx 公文格式；有错误时列出每条违规及其规则并以状态 1 退出。"""
    try:
        violations = check_docx(path, kind=kind)
    except OAError as exc:
        raise click.ClickException(exc.message) from exc
    for v in violations:
        label = SEVERITY_LABELS.get(v.severity, v.severity)
        click.echo(f"[{label}] {v.rule}: {v.message}（{v.location}）")
    errors = sum(v.severity == ERROR for v in violations)
    if errors:
        click.echo(f"共 {errors} 项错误，{len(violations) - errors} 项警告。", err=True)
        sys.exit(1)
    click.echo(f"格式检查通过（{len(violations)} 项警告）。")


@click.command("render-sample")
@click.argument("kind", type=click.Choice(SAMPLE_KINDS))
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def render_sample(kind: str, out: Path) -> None:
    """生成一份示例套红公文（.docx），文种为 KIND，写入 OUT。"""
    out.write_bytes(redhead.render(sample_document(kind)))
    click.echo(f"已生成示例{kind}：{out}")


COMMANDS = [check_format, render_sample]
