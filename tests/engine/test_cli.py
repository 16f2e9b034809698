"""``oa deploy`` / ``oa processes``: directories expand to BPMN files, errors list every problem."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from web.commands.engine import deploy, processes

ROOT = Path(__file__).resolve().parents[2]
BAD = ROOT / "tests" / "engine" / "definitions" / "bpmn"


def test_deploy_directory_then_identical_redeploy(app: Flask) -> None:
    runner = app.test_cli_runner()
    first = runner.invoke(
        deploy, [str(ROOT / "processes"), str(ROOT / "bpmn-models"), "--comment", "首次"]
    )
    assert first.exit_code == 0, first.output
    assert "qingjia（请假申请）v1：新版本" in first.output
    again = runner.invoke(deploy, [str(ROOT / "processes"), str(ROOT / "bpmn-models")])
    assert again.exit_code == 0
    assert "v1：内容未变，沿用" in again.output
    listing = runner.invoke(processes, [])
    assert "qingjia" in listing.output
    assert "共 1 个版本" in listing.output


def test_deploy_refuses_unsafe_files_and_names_each(app: Flask) -> None:
    result = app.test_cli_runner().invoke(
        deploy, [str(BAD / "xxe.bpmn"), str(BAD / "billion_laughs.bpmn")]
    )
    assert result.exit_code == 1
    assert "部署失败，共 2 个问题" in result.output
    assert "xxe.bpmn" in result.output and "billion_laughs.bpmn" in result.output
    assert "尚未部署任何流程" in app.test_cli_runner().invoke(processes, []).output
