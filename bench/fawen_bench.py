"""Bench: the 发文 process — red-header generation, PDF + seal, whole instances via engine.api.

    .venv/bin/python -m bench.fawen_bench [--backends sqlite,postgresql] [--instances 10]

Measures:
- 套红: ``redhead.render`` of a GongwenDocument's render model (target <= 100 ms);
- 用印: warm LibreOffice .docx -> PDF, seal placement over the 成文日期 and PAdES sealing with
  its log and audit rows (target <= 1 s);
- whole instances: a 函 from 拟稿 to 归档 (10 API calls by the demo 市教育局 people: 拟稿, 核稿,
  审核, 复核, 登记, 套红, 用印, 分发; the services number, typeset, seal, distribute, print the
  稿纸 and archive) on SQLite and PostgreSQL, the conversions through the shared warm pool.
Prints the figures and rewrites its section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from bench.app_setup import database_url, migrated_app
from bench.report import bench_main, bench_parser, summary_ms
from bench.seal_bench import timed
from engine import api
from services.convert import libreoffice
from services.convert.libreoffice import WarmConverter
from services.db import db
from services.documents import redhead
from services.documents.model import chinese_date
from services.gongwen import documents
from services.seal.placement import placement_over_date
from services.seal.sign import SEAL_STEP, SealUse, sign_pdf
from tests.gongwen.fawen_helpers import City, act, draft_data, issue, load_city, review_and_sign
from tests.support.pgcluster import PgCluster

BODY = "<p>为切实加强校园安全工作，经研究，现就有关事项函告如下。</p>" * 6


def run_instance(city: City, n: int) -> tuple[float, int]:
    """One 函 from 拟稿 to 归档; returns (seconds, document id)."""

    started = time.perf_counter()
    view = api.start_instance("fawen", starter_id=city.user("clerk").id, data={})
    db.session.commit()
    title = f"江城市教育局关于商请支持第{n}批校园安全设施建设的函"
    act(view.id, city.user("clerk"), draft_data(city, title=title, body_html=BODY), "拟稿")
    review_and_sign(city, view.id, principal=False)
    issue(city, view.id)
    took = time.perf_counter() - started
    assert api.get_instance(view.id).status == "completed"
    document = documents.document_for_instance(view.id)
    assert document is not None and document.status == "archived"
    return took, document.id


def bench_backend(backend: str, args: argparse.Namespace, cluster: PgCluster | None) -> dict:
    with tempfile.TemporaryDirectory(prefix=f"fawen-{backend}-") as tmp:
        work = Path(tmp)
        with migrated_app(database_url(backend, work, cluster, "fawen"), work / "var"):
            city = load_city()  # the demo city, a seal for 市教育局 and 发文 deployed
            run_instance(city, 0)  # warms the converter pool and the spec cache
            samples, ids = [], []
            for n in range(1, args.instances + 1):
                took, document_id = run_instance(city, n)
                samples.append(took)
                ids.append(document_id)
            result = {"backend": backend, "instances": samples}
            if backend == "sqlite":
                result |= bench_documents(city, ids, work, args.docs)
            libreoffice.shutdown()
            return result


def bench_documents(city: City, ids: list[int], work: Path, count: int) -> dict:
    """套红 and 用印 of the issued documents, measured apart from the process."""
    models = [documents.to_render_model(documents.get_document(i)) for i in ids]
    models = (models * (count // len(models) + 1))[:count]
    render = [timed(lambda m=m: redhead.render(m)) for m in models]
    docx_files = [redhead.render(m) for m in models]
    converter = WarmConverter(work / "warm")
    converter.start()
    convert, seal = [], []
    try:
        for model, data in zip(models, docx_files, strict=True):
            started = time.perf_counter()
            pdf = converter.convert(data)
            convert.append(time.perf_counter() - started)
            seal.append(timed(lambda model=model, pdf=pdf: seal_one(city, model, pdf)))
    finally:
        converter.close()
    return {"render": render, "convert": convert, "seal": seal}


def seal_one(city: City, model: object, pdf: bytes) -> bytes:
    placement = placement_over_date(pdf, chinese_date(model.signed_on))  # type: ignore[attr-defined]
    use = SealUse(city.unit.id, city.user("registrar").id, "发文用印", SEAL_STEP, True, "bench")
    sealed = sign_pdf(pdf, use, placement)
    db.session.commit()
    return sealed


def row(name: str, samples: list[float], note: str) -> str:
    s = summary_ms(samples)
    return (
        f"| {name} | {len(samples)} | {s['p50']:.0f} | {s['p95']:.0f} | {s['mean']:.0f} | {note} |"
    )


def markdown(results: list[dict], args: argparse.Namespace) -> str:
    lines = [
        "| 操作 | 次数 | p50 (ms) | p95 (ms) | 平均 (ms) | 说明 |",
        "|---|---|---|---|---|---|",
    ]
    docs = next(r for r in results if "render" in r)
    lines.append(
        row("套红 .docx 生成", docs["render"], "redhead.render，含正文 6 段；目标 ≤ 100 ms")
    )
    lines.append(row("热转换 .docx→PDF", docs["convert"], "常驻 soffice + UNO 桥"))
    lines.append(row("定位 + 用印", docs["seal"], "按成文日期定位，pyHanko 签章，日志与审计，提交"))
    both = [c + s for c, s in zip(docs["convert"], docs["seal"], strict=True)]
    lines.append(row("热转换 + 用印", both, "目标 ≤ 1000 ms"))
    for result in results:
        lines.append(
            row(
                f"整件发文（{result['backend']}）",
                result["instances"],
                "函，拟稿到归档：发起加 9 个环节共 10 次 API 调用，"
                "含取号、套红、转 PDF、用印、分发、稿纸 PDF、归档",
            )
        )
    lines.append("")
    lines.append(
        f"每个后端先跑 1 件预热（启动转换进程、载入流程定义），再测 {args.instances} 件；"
        "整件时间是 engine.api 逐步办理的墙钟时间（单进程、串行），其中两次 .docx→PDF 转换"
        "（正本、稿纸）通过共享的常驻转换池。"
    )
    return "\n".join(lines)


def main() -> None:
    parser = bench_parser(__doc__)
    parser.add_argument("--instances", type=int, default=10)
    parser.add_argument("--docs", type=int, default=20)
    bench_main(parser, bench_backend, markdown, "发文（bench/fawen_bench.py）")


if __name__ == "__main__":
    main()
