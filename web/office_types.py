"""MIME types of the Office files the pages export (登记本, 统计, 分析 ...).

A module of its own, with no imports, so that any blueprint can use them without importing
another blueprint's routes (which made the 收文 and 发文 blueprints import each other).
"""

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
