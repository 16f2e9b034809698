"""MIME types of the Office files the pages export (登记本, 统计, 分析 ...).

A module of its own, with no imports, so that any blueprint can use them without importing
another blueprint's routes (which made the 收文 and 发文 blueprints import each other).
"""

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
OFD = "application/ofd"  # GB/T 33190 版式文档: served for download, not rendered

# Content types of the files a 收文 carries, by extension (anything else is a plain download).
DOWNLOAD_TYPES = {
    ".pdf": "application/pdf",
    ".ofd": OFD,
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".docx": DOCX,
    ".xlsx": XLSX,
}


def download_type(filename: str) -> str:
    """The content type a stored file is served with (``application/ofd`` for OFD)."""
    extension = "." + filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    return DOWNLOAD_TYPES.get(extension, "application/octet-stream")
