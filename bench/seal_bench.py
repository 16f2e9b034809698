"""Bench: .docx -> PDF (cold and warm LibreOffice) and sealing, per document.

Run: ``.venv/bin/python bench/seal_bench.py`` (needs LibreOffice and python3-uno: ``make
system-deps``). Writes the section 电子印章与PDF转换 of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import docx
from flask import Flask
from sqlalchemy import create_engine

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import migrations
from bench.report import summary_ms, write_section
from services.config import load_settings
from services.convert.libreoffice import ConverterPool, WarmConverter, convert_cold
from services.db import db
from services.org import directory
from services.org.models import Unit, User
from services.seal import ca, seals
from services.seal.provider import SealPlacement
from services.seal.sign import SEAL_STEP, SealUse, sign_pdf
from services.seal.verify import verify_pdf
from web.app import create_app

PLACEMENT = SealPlacement(center_x=430, center_y=300)
BODY = (
    "为切实加强安全生产工作，有效防范和坚决遏制重特大事故发生，经市政府同意，"
    "决定在全市范围内开展安全生产大检查。现将有关事项通知如下。"
)


def make_document(n: int) -> bytes:
    """A one-to-two page 通知 with Chinese headings and body text."""
    document = docx.Document()
    document.add_heading(f"关于开展第{n}批安全生产大检查的通知", level=1)
    document.add_paragraph("各镇人民政府，市政府各部门：")
    for heading in ("一、检查范围", "二、检查内容", "三、工作要求"):
        document.add_paragraph(heading)
        for _ in range(1 + n % 3):
            document.add_paragraph(BODY)
    document.add_paragraph("宁江市人民政府办公室")
    document.add_paragraph("2025年3月3日")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def bench_cold(docs: list[bytes], work: Path) -> tuple[float, list[float]]:
    first = timed(lambda: convert_cold(docs[0], profile_dir=work / "cold-profile"))
    rest = [timed(lambda d=d: convert_cold(d, profile_dir=work / "cold-profile")) for d in docs]
    return first, rest


def bench_warm(docs: list[bytes], work: Path) -> tuple[float, list[float], list[bytes]]:
    converter = WarmConverter(work / "warm")
    start = timed(converter.start)
    pdfs: list[bytes] = []
    try:
        samples = [timed(lambda d=d: pdfs.append(converter.convert(d))) for d in docs]
    finally:
        converter.close()
    return start, samples, pdfs


def setup_seal(app_dir: Path) -> tuple[Flask, int, int]:
    settings = load_settings(
        environ={}, database_url=f"sqlite:///{app_dir / 'bench.sqlite3'}", var_dir=app_dir
    )
    engine = create_engine(settings.database_url)
    migrations.upgrade_to_head(engine)
    engine.dispose()
    app = create_app(settings)
    with app.app_context():
        directory.ensure_reference_data()
        unit = Unit(code="bgs", name="宁江市人民政府办公室", short_name="市府办", kind="department")
        db.session.add(unit)
        db.session.flush()
        user = User(username="bgs_clerk", name="王文书", unit_id=unit.id, position_code="staff")
        db.session.add(user)
        ca.init_ca()
        seals.issue_unit_seal(unit)
        db.session.commit()
        return app, unit.id, user.id


def seal_one(app: Flask, unit_id: int, user_id: int, pdf: bytes) -> bytes:
    with app.app_context():
        use = SealUse(unit_id, user_id, "发文用印", SEAL_STEP, True, reference="bench")
        sealed = sign_pdf(pdf, use, PLACEMENT)
        db.session.commit()
        return sealed


def bench_seal(
    app: Flask, unit_id: int, user_id: int, pdfs: list[bytes]
) -> tuple[list[float], list[float]]:
    sealed: list[bytes] = []
    samples = [timed(lambda p=p: sealed.append(seal_one(app, unit_id, user_id, p))) for p in pdfs]
    with app.app_context():
        verify = [timed(lambda s=s: verify_pdf(s)) for s in sealed]
        assert all(verify_pdf(s).valid for s in sealed)
    return samples, verify


def bench_load(
    app: Flask, ids: tuple[int, int], docs: list[bytes], work: Path, workers: int, clients: int
) -> tuple[list[float], float]:
    """``clients`` threads each convert + seal their share of ``docs`` through one pool."""
    unit_id, user_id = ids
    pool = ConverterPool(workers, work / "pool")
    pool.start()
    samples: list[float] = []
    lock = threading.Lock()

    def client(share: list[bytes]) -> None:
        for data in share:
            took = timed(lambda data=data: seal_one(app, unit_id, user_id, pool.convert(data)))
            with lock:
                samples.append(took)

    threads = [threading.Thread(target=client, args=(docs[i::clients],)) for i in range(clients)]
    start = time.perf_counter()
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        pool.close()
    return samples, len(docs) / (time.perf_counter() - start)


def row(name: str, samples: list[float], note: str = "") -> str:
    s = summary_ms(samples)
    return (
        f"| {name} | {len(samples)} | {s['p50']:.0f} | {s['p95']:.0f} | {s['mean']:.0f} | {note} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--docs", type=int, default=20)
    parser.add_argument("--cold", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()
    docs = [make_document(n) for n in range(args.docs)]
    with tempfile.TemporaryDirectory(prefix="seal-bench-") as tmp:
        work = Path(tmp)
        cold_first, cold = bench_cold(docs[: args.cold], work)
        warm_start, warm, pdfs = bench_warm(docs, work)
        app, unit_id, user_id = setup_seal(work / "var")
        sealing, verifying = bench_seal(app, unit_id, user_id, pdfs)
        combined = [w + s for w, s in zip(warm, sealing, strict=True)]
        load, throughput = bench_load(
            app, (unit_id, user_id), docs, work, args.workers, args.clients
        )
    with app.app_context():
        db.engine.dispose()
    body = "\n".join(
        [
            "| 操作 | 文档数 | p50 (ms) | p95 (ms) | 平均 (ms) | 说明 |",
            "|---|---|---|---|---|---|",
            row(
                "冷转换 .docx→PDF",
                cold,
                f"每次启动 soffice；首次（新建配置）{cold_first * 1000:.0f} ms",
            ),
            row(
                "热转换 .docx→PDF", warm, f"常驻 soffice + UNO 桥；启动 {warm_start * 1000:.0f} ms"
            ),
            row("用印（签章+日志+审计，含提交）", sealing, "pyHanko，ECDSA P-256"),
            row("验章", verifying, "pyHanko 校验，信任平台 CA"),
            row("热转换 + 用印（串行）", combined, "目标 ≤ 1000 ms"),
            row(
                f"热转换 + 用印（{args.clients} 并发，{args.workers} 个转换进程）",
                load,
                f"吞吐 {throughput:.1f} 份/秒；目标 ≤ 1000 ms",
            ),
        ]
    )
    body += (
        f"\n\n文档：python-docx 生成的 1–2 页通知（中文），共 {args.docs} 份；"
        f"冷转换测 {args.cold} 份。"
        "并发一行为每份文档从提交转换到盖章完成的时间（含排队）。"
    )
    write_section("电子印章与PDF转换", body)
    print(body)


if __name__ == "__main__":
    main()
