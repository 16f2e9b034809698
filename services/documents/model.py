"""The elements of an official document (《党政机关公文处理工作条例》 第九条) as plain data."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

# Formats of GB/T 9704 and the 文种 that use each one.
FORMAT_GENERAL = "通用"
FORMAT_UPWARD = "上行文"
FORMAT_LETTER = "信函"
FORMAT_MINUTES = "纪要"
FORMATS = (FORMAT_GENERAL, FORMAT_UPWARD, FORMAT_LETTER, FORMAT_MINUTES)
KIND_FORMATS = {
    "决定": FORMAT_GENERAL,
    "通知": FORMAT_GENERAL,
    "通报": FORMAT_GENERAL,
    "批复": FORMAT_GENERAL,
    "意见": FORMAT_GENERAL,
    "请示": FORMAT_UPWARD,
    "报告": FORMAT_UPWARD,
    "函": FORMAT_LETTER,
    "纪要": FORMAT_MINUTES,
}
# Heading levels of the body: 0 is a plain paragraph, 1..4 are 一、 （一） 1. （1）.
MAX_HEADING_LEVEL = 4


@dataclass(frozen=True)
class BodyParagraph:
    """One paragraph of 正文; headings get their number (一、（一）1.（1）) from the generator."""

    text: str
    level: int = 0


@dataclass
class OfficialDocument:
    """What the red-header generator prints; empty optional parts are left out."""

    kind: str
    issuers: list[str]
    number: str
    title: str
    body: list[BodyParagraph]
    signed_on: date
    recipients: str = ""
    copy_no: str = ""
    secrecy: str = ""
    secrecy_period: str = ""
    urgency: str = ""
    signers: list[str] = field(default_factory=list)
    attachments: list[str] = field(default_factory=list)
    signature: str = ""
    note: str = ""
    copy_to: list[str] = field(default_factory=list)
    printed_by: str = ""
    printed_on: date | None = None
    # 纪要 only: {"出席": [...], "请假": [...], "列席": [...]}.
    attendees: dict[str, list[str]] = field(default_factory=dict)
    # The 标志 text; defaults to "<organ>文件" (or "<organ>纪要" for 纪要, the organ for 函).
    mark: str = ""

    @property
    def format(self) -> str:
        """The GB/T 9704 format for this 文种 (通用 when the 文种 has no special one)."""
        return KIND_FORMATS.get(self.kind, FORMAT_GENERAL)


def chinese_date(value: date) -> str:
    """``2025年7月1日``: Arabic numerals without leading zeros, as 成文日期 is printed."""
    return f"{value.year}年{value.month}月{value.day}日"
