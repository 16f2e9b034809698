"""LibreOffice conversion: Chinese text survives, the warm converter stays warm and recovers."""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path

import pytest
from flask import Flask

from services.convert import libreoffice
from services.convert.libreoffice import ConversionFailed, ConverterPool, WarmConverter
from tests.convert.helpers import make_docx, pdf_text

CJK_SAMPLES = [
    ("关于开展2025年安全生产大检查的通知", "各镇人民政府，市政府各部门："),
    ("宁江市教育局关于申请专项经费的请示", "妥否，请批示。"),
    ("会议纪要", "〔2025〕12号　附件：1．检查表"),
]


@pytest.mark.parametrize(("title", "body"), CJK_SAMPLES)
def test_warm_conversion_keeps_chinese_text(
    warm_converter: WarmConverter, title: str, body: str
) -> None:
    pdf = warm_converter.convert(make_docx(title, body))
    assert pdf.startswith(b"%PDF-")
    text = pdf_text(pdf)
    assert title in text
    assert "".join(body.split()) in text


def test_cold_conversion_keeps_chinese_text(tmp_path: Path) -> None:
    pdf = libreoffice.convert_cold(make_docx("市政府办公室函"), profile_dir=tmp_path / "profile")
    assert "市政府办公室函" in pdf_text(pdf)


def test_warm_converter_keeps_one_soffice(warm_converter: WarmConverter) -> None:
    warm_converter.convert(make_docx("第一份"))
    pid = warm_converter.office_pid
    warm_converter.convert(make_docx("第二份"))
    assert pid is not None
    assert warm_converter.office_pid == pid
    assert warm_converter.running


def test_invalid_document_is_refused_and_converter_survives(
    warm_converter: WarmConverter,
) -> None:
    with pytest.raises(ConversionFailed):
        warm_converter.convert(b"this is not a word document", suffix=".pdf")
    assert "仍可转换" in pdf_text(warm_converter.convert(make_docx("仍可转换")))


def test_converter_restarts_after_soffice_dies(tmp_path: Path) -> None:
    with WarmConverter(tmp_path / "w") as converter:
        pid = converter.office_pid
        assert pid is not None
        # Our own soffice's process group (start_new_session in _spawn_office).
        os.killpg(pid, signal.SIGKILL)
        pdf = converter.convert(make_docx("重启后继续转换"))
        assert "重启后继续转换" in pdf_text(pdf)
        assert converter.office_pid != pid


def test_pool_serves_concurrent_callers(tmp_path: Path) -> None:
    pool = ConverterPool(2, tmp_path)
    results: dict[int, bytes] = {}

    def work(n: int) -> None:
        results[n] = pool.convert(make_docx(f"并发文件{n}号"))

    try:
        threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        pool.close()
    assert sorted(results) == [0, 1, 2, 3]
    for n, pdf in results.items():
        assert f"并发文件{n}号" in pdf_text(pdf)
    assert not any(c.running for c in pool.converters)


def test_shared_pool_uses_var_dir(app: Flask) -> None:
    libreoffice.shutdown()  # a pool left by an earlier test lives under that test's var dir
    try:
        pdf = libreoffice.convert_to_pdf(make_docx("共享转换池"))
        pool = libreoffice.shared_pool()
        assert pool.converters[0].work_dir.is_relative_to(app.config["OA_SETTINGS"].var_dir)
    finally:
        libreoffice.shutdown()
    assert "共享转换池" in pdf_text(pdf)


def test_missing_uno_bridge_fails_cleanly(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(libreoffice, "SYSTEM_PYTHON", str(tmp_path / "no-python"))
    converter = WarmConverter(tmp_path / "w")
    with pytest.raises(ConversionFailed, match="python3-uno"):
        converter.convert(make_docx("无法转换"))
    assert not converter.running
    assert converter.office_pid is None
