"""Demonstration documents for each 文种 (fictional 江城市), used by ``oa render-sample``,
the tests, the format documentation and the benchmark."""

from __future__ import annotations

from datetime import date

from services.documents.model import KIND_FORMATS, BodyParagraph, OfficialDocument

SAMPLE_KINDS = tuple(KIND_FORMATS)
_NUMBERS = {"函": "江政函〔2025〕12号", "纪要": "江政纪〔2025〕3号"}
_RECIPIENTS = {
    "请示": "省人民政府",
    "报告": "省人民政府",
    "批复": "市教育局",
    "函": "省水利厅",
}


def sample_document(kind: str) -> OfficialDocument:
    """A complete, correct document of ``kind`` (one of the nine 文种 templates)."""
    upward = kind in ("请示", "报告")
    return OfficialDocument(
        kind=kind,
        issuers=["江城市人民政府"],
        number=_NUMBERS.get(kind, "江政发〔2025〕7号"),
        title=f"江城市人民政府关于做好2025年防汛工作的{kind}",
        recipients=_RECIPIENTS.get(kind, "各镇人民政府，各街道办事处，市政府各部门"),
        body=_body(kind),
        signed_on=date(2025, 6, 3),
        urgency="特急" if kind != "纪要" else "",
        signers=["王志强"] if upward else [],
        attachments=["江城市2025年防汛责任人名单", "江城市防汛物资储备表"],
        note="联系人：李明，电话：0000-12345678",
        copy_to=["市委办公室", "市人大常委会办公室", "市政协办公室"],
        printed_by="江城市人民政府办公室",
        printed_on=date(2025, 6, 4),
        attendees={"出席": ["张建国", "李红梅", "王志强"], "请假": ["赵文华"]}
        if kind == "纪要"
        else {},
    )


def _body(kind: str) -> list[BodyParagraph]:
    b = BodyParagraph
    return [
        b(
            "为切实做好今年防汛工作，确保人民群众生命财产安全，根据上级有关要求，"
            f"结合我市实际，现就有关事项{kind}如下。"
        ),
        b("提高思想认识", 1),
        b("各地各部门要充分认识做好防汛工作的重要性和紧迫性，坚持人民至上、生命至上。"),
        b("压实防汛责任", 2),
        b("严格落实以行政首长负责制为核心的各项防汛责任制。"),
        b("明确责任人", 3),
        b("各镇（街道）于6月10日前报送防汛责任人名单", 4),
        b("加强监测预警", 1),
        b("气象、水利等部门要加强会商研判，及时发布预警信息。"),
    ]
