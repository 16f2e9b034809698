"""The process files the studio can open: processes/ and bpmn-models/ of the installation.

Only files found by ``list_files`` can be read, so a crafted path (``../``) never reaches the
disk. The web never writes here: edits are saved as drafts and deployed as versions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

from services.config import PROJECT_ROOT
from services.errors import NotFound, ValidationFailed

SOURCE_DIRS = ("processes", "bpmn-models")
PROCESS_KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_\-]{0,99}$")
TEMPLATE = Path(__file__).with_name("blank.bpmn")


@dataclass(frozen=True)
class SourceFile:
    """A BPMN file on disk, named by its path relative to the project root."""

    path: str
    size: int


def list_files(root: Path = PROJECT_ROOT) -> list[SourceFile]:
    """Every ``.bpmn`` file under the source directories, sorted by path."""
    found = []
    for folder in SOURCE_DIRS:
        for path in sorted((root / folder).rglob("*.bpmn")):
            if path.is_file():
                found.append(SourceFile(path.relative_to(root).as_posix(), path.stat().st_size))
    return found


def read_file(relative: str, root: Path = PROJECT_ROOT) -> str:
    """The text of a listed file; NotFound for anything else."""
    if relative not in {f.path for f in list_files(root)}:
        raise NotFound("流程文件不存在", path=relative)
    return (root / relative).read_text(encoding="utf-8")


def new_diagram(key: str, name: str) -> str:
    """A small executable process (start -> 用户任务 -> end) to start a new model from."""
    if not PROCESS_KEY.match(key):
        raise ValidationFailed(
            "流程标识只能使用字母、数字、下划线和连字符，且以字母开头",
            errors={"key": "流程标识格式不正确"},
        )
    if not name.strip():
        raise ValidationFailed("请填写流程名称", errors={"name": "请填写流程名称"})
    text = TEMPLATE.read_text(encoding="utf-8")
    return text.replace("__KEY__", key).replace("__NAME__", escape(name.strip(), {'"': "&quot;"}))
