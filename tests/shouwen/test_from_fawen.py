"""The real 发文 process hands over to 收文: its 分发 starts one 收文 per platform recipient."""

from __future__ import annotations

from sqlalchemy import select

from engine import api
from services.db import db
from services.gongwen import documents, exchange
from services.gongwen.models import DocumentFile
from tests.gongwen.fawen_helpers import act, draft_data, issue, review_and_sign, start
from tests.shouwen.helpers import open_tasks, record_of, registrar, shouwen_instances


def test_distributed_han_lands_in_both_recipient_inboxes(city) -> None:
    instance_id = start(city)
    act(instance_id, city.user("clerk"), draft_data(city), "拟稿")
    review_and_sign(city, instance_id, principal=False)
    issue(city, instance_id)
    source = documents.document_for_instance(instance_id)
    assert source is not None and source.status in ("issued", "archived")
    assert api.deliver_messages(worker_id="w1") == 2  # 市财政局 主送, 市人社局 抄送
    assert api.deliver_messages(worker_id="w1") == 0
    assert len(shouwen_instances()) == 2
    sealed = db.session.scalars(
        select(DocumentFile).where(
            DocumentFile.document_id == source.id, DocumentFile.kind == "sealed_pdf"
        )
    ).one()
    for code in ("czj", "rsj"):
        unit = city.units[code]
        record = record_of(unit)
        assert record.source_document_id == source.id
        assert record.from_doc_number == source.doc_number
        copy = db.session.scalars(
            select(DocumentFile).where(DocumentFile.document_id == record.document_id)
        ).one()
        assert copy.sha256 == sealed.sha256
        (task,) = open_tasks(record.instance_id)
        assert (task.name, task.assignee_id) == ("签收", registrar(unit).id)
    statuses = exchange.recipient_statuses(source.id)
    assert [s.status for s in statuses] == ["已送达", "已送达", "待寄送"]
