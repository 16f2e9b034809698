"""Convert a generated .docx to PDF with LibreOffice headless, fonts mapped by fontconfig.

Rendering only: the .docx keeps the real font names (仿宋_GB2312, 方正小标宋简体 ...) and
``fonts/gongwen-fonts.conf`` maps them to installed fonts for this process. Each call uses its
own LibreOffice profile directory so parallel conversions do not fight over one profile.
(The warm, pooled converter of 用印 comes with that step; this one starts LibreOffice each time.)
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from services.errors import OAError

FONTS_CONF = Path(__file__).resolve().parent / "fonts" / "gongwen-fonts.conf"
TIMEOUT_SECONDS = 120


class ConversionFailed(OAError):
    kind = "conversion_failed"


def docx_to_pdf(docx: bytes) -> bytes:
    """The PDF rendering of ``docx`` (bytes in, bytes out)."""
    soffice = shutil.which("soffice")
    if soffice is None:
        raise ConversionFailed("服务器未安装 LibreOffice，无法转换为 PDF")
    with tempfile.TemporaryDirectory(prefix="oa-convert-") as tmp:
        work = Path(tmp)
        source = work / "document.docx"
        source.write_bytes(docx)
        command = [
            soffice,
            f"-env:UserInstallation=file://{work / 'profile'}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(work),
            str(source),
        ]
        env = {"FONTCONFIG_FILE": str(FONTS_CONF), "HOME": str(work), "PATH": "/usr/bin:/bin"}
        try:
            subprocess.run(
                command, env=env, capture_output=True, timeout=TIMEOUT_SECONDS, check=True
            )
        except (subprocess.SubprocessError, OSError) as exc:
            raise ConversionFailed("LibreOffice 转换 PDF 失败") from exc
        target = work / "document.pdf"
        if not target.exists():
            raise ConversionFailed("LibreOffice 未生成 PDF")
        return target.read_bytes()
