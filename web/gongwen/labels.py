"""Chinese words the 发文 pages print for stored codes."""

from __future__ import annotations

STATUS = {
    "draft": "拟稿",
    "reviewing": "审核中",
    "signed": "已签发",
    "registered": "已编号",
    "issued": "已印发",
    "received": "已接收",
    "archived": "已归档",
    "void": "已作废",
}
URGENCY = {"normal": "平件", "urgent": "加急", "very_urgent": "特急"}
FILE_KINDS = {
    "redhead_docx": "套红正式文件（Word）",
    "sealed_pdf": "盖章版（PDF）",
    "unsealed_pdf": "未盖章版（PDF）",
    "sheet_docx": "发文稿纸（Word）",
    "sheet_pdf": "发文稿纸（PDF）",
    "final_docx": "定稿正文（Word）",
    "attachment": "附件",
}
# Sortable columns of the 发文列表, in display order: (sort key, header).
COLUMNS = (
    ("doc_type", "属性（文种）"),
    ("doc_number", "文号"),
    ("title", "标题"),
    ("drafted", "拟稿日期"),
    ("issued", "成文日期"),
    ("secrecy", "密级"),
    ("importance", "重要程度"),
    ("urgency", "紧急程度"),
    ("status", "状态"),
    ("step", "当前环节"),
    ("holder", "办理人"),
    ("waiting", "等待时长"),
)


def secrecy(value: str) -> str:
    """``秘密`` …, or ``—`` for an ordinary document."""
    return value or "—"
