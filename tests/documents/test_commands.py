"""``oa check-format`` exits 1 listing violations by rule; ``oa render-sample`` writes a .docx."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask

from services.documents import redhead
from services.documents.samples import sample_document
from tests.documents.docx_edit import edit_part
from web.commands.documents import check_format, render_sample


@pytest.mark.parametrize("kind", ["通知", "函"])
def test_render_sample_then_check_passes(app: Flask, tmp_path: Path, kind: str) -> None:
    out = tmp_path / "sample.docx"
    runner = app.test_cli_runner()
    rendered = runner.invoke(render_sample, [kind, str(out)])
    assert rendered.exit_code == 0, rendered.output
    checked = runner.invoke(check_format, [str(out)])
    assert checked.exit_code == 0, checked.output
    assert "格式检查通过" in checked.output


def test_check_format_lists_violations_and_exits_1(app: Flask, tmp_path: Path) -> None:
    docx = redhead.render(sample_document("请示"))
    docx = edit_part(docx, "word/document.xml", "〔2025〕7号", "[2025]7号")
    docx = edit_part(docx, "word/document.xml", "签发人：", "")
    path = tmp_path / "broken.docx"
    path.write_bytes(docx)
    result = app.test_cli_runner().invoke(check_format, [str(path), "--kind", "请示"])
    assert result.exit_code == 1
    assert "number.format" in result.output and "signer.required" in result.output
    assert "〔〕" in result.output
