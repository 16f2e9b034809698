"""收文 classes (收报/收抄/收办): the default class of a 收文 and the shapes of its 收文编号.

Each class has its own 收文编号 sequence per unit and year, formatted ``收办〔2026〕12号`` (see
:func:`services.numbering.service.format_class_receipt`). 收文 numbered before the classes
existed keep their ``2025-0001`` numbers and an empty class, shown as "—".
"""

from __future__ import annotations

import re

from services.gongwen.exchange_models import COPIED, RECEIPT_CLASSES, REPORTED, TO_HANDLE

# 报告 and 请示 only ever travel upwards (党政机关公文处理工作条例 第八条), so receiving one means a
# body below reported it to us.
REPORTED_CATEGORIES = ("报告", "请示")
NO_CLASS = "—"
_CLASS_NUMBER = re.compile(r"^(\S{1,4})〔(\d{4})〕(\d+)号$")
_PLAIN_NUMBER = re.compile(r"^(\d{4})-(\d+)$")


def default_class(category: str, *, copied: bool = False) -> str:
    """收抄 for a 抄送 copy; 收报 for a 报告/请示; 收办 for anything else."""
    if copied:
        return COPIED
    return REPORTED if category in REPORTED_CATEGORIES else TO_HANDLE


def class_label(receipt_class: str | None) -> str:
    """The class as shown in lists and registers ("—" for records without one)."""
    return receipt_class or NO_CLASS


def class_error(receipt_class: str) -> str | None:
    """The Chinese message for a value that is not a class, else None."""
    if receipt_class in RECEIPT_CLASSES:
        return None
    return "收文类别应为收报、收抄或收办"


def receipt_key(receipt_number: str | None) -> tuple[int, str, int, str]:
    """Sort key: by year, then class (plain ``2025-0001`` numbers first), then sequence, so
    that ``收办〔2025〕2号`` comes before ``收办〔2025〕10号`` (plain text order would not)."""
    text = (receipt_number or "").strip()
    if match := _PLAIN_NUMBER.match(text):
        return (int(match.group(1)), "", int(match.group(2)), text)
    if match := _CLASS_NUMBER.match(text):
        return (int(match.group(2)), match.group(1), int(match.group(3)), text)
    return (0, "", 0, text)


def serial_patterns(serial: int) -> tuple[str, str]:
    """SQL ``LIKE`` patterns of a 流水号 in both number shapes (``2025-0012``, ``〔2025〕12号``)."""
    return f"____-{serial:04d}", f"%〔____〕{serial}号"
