"""传阅: circulate to people and whole departments, 阅知 with a receipt, recall, who may do
what, and the history events; the process itself never waits for readers."""

from __future__ import annotations

import pytest

from engine import api
from engine.runtime.circulation_models import CirculationItem
from services import clock
from services.db import db
from services.errors import Conflict, Forbidden, ValidationFailed
from services.notify.inapp import latest
from tests.engine.operations.helpers import complete_current, kinds, only_active, start_chain


def _circulate(bureau, view, *readers, **more):
    result = api.circulate(
        view.id, sender_id=bureau.starter.id, user_ids=[r.id for r in readers], **more
    )
    db.session.commit()
    return result


def test_readers_get_unread_items_and_a_notification(bureau):
    view = start_chain(bureau)
    circulation_id, readers = _circulate(bureau, view, bureau.reader, note="请阅")
    assert readers == [bureau.reader.id]
    page = api.toread(bureau.reader.id)
    [item] = page.items
    assert (item.circulation_id, item.status, item.note) == (circulation_id, "unread", "请阅")
    assert item.read_at is None and item.title == view.title
    assert api.toread_count(bureau.reader.id) == 1
    assert latest(bureau.reader.id)[0].title.startswith("传阅：")
    assert api.is_reader(view.id, bureau.reader.id)
    assert not api.is_reader(view.id, bureau.outsider.id)


def test_circulation_does_not_block_the_process(bureau):
    view = start_chain(bureau)
    _circulate(bureau, view, bureau.reader)
    complete_current(view.id, bureau.starter, {"subject": "s"})
    assert only_active(view.id).task_spec == "review"
    assert api.get_instance(view.id).revision > 0


def test_departments_expand_to_members_without_sender_or_duplicates(bureau):
    view = start_chain(bureau)
    _, readers = _circulate(bureau, view, bureau.reader, department_ids=[bureau.section.id])
    assert readers[0] == bureau.reader.id
    assert set(readers) == {bureau.reader.id, bureau.reviewer.id, bureau.approver.id}
    # Everyone of the department already has it unread: nothing new to send.
    with pytest.raises(ValidationFailed):
        api.circulate(view.id, sender_id=bureau.starter.id, department_ids=[bureau.section.id])


def test_whole_unit_expands_to_its_members(bureau):
    view = start_chain(bureau)
    _, readers = _circulate(bureau, view, unit_ids=[bureau.unit.id])
    assert bureau.office_clerk.id in readers and bureau.starter.id not in readers
    assert bureau.outsider.id not in readers


def test_read_stores_receipt_and_comment_and_history(bureau, frozen_clock):
    view = start_chain(bureau)
    _circulate(bureau, view, bureau.reader)
    [item] = api.toread(bureau.reader.id).items
    frozen_clock.advance(minutes=5)
    assert api.read_item([item.id], reader_id=bureau.reader.id, comment="已阅，同意") == 1
    db.session.commit()
    [seen] = api.reading_list(view.id)
    assert seen.status == "read" and seen.comment == "已阅，同意"
    assert seen.read_at == clock.now()
    assert api.toread(bureau.reader.id).total == 0
    assert api.toread(bureau.reader.id, state="read").total == 1
    # 阅知 again changes nothing.
    assert api.read_item([item.id], reader_id=bureau.reader.id) == 0
    assert kinds(view.id)[-2:] == ["circulated", "read"]
    assert api.verify_history(view.id).ok


def test_batch_read_across_instances(bureau):
    first, second = start_chain(bureau), start_chain(bureau)
    _circulate(bureau, first, bureau.reader)
    _circulate(bureau, second, bureau.reader)
    ids = [item.id for item in api.toread(bureau.reader.id).items]
    assert api.read_item(ids, reader_id=bureau.reader.id) == 2
    db.session.commit()
    assert api.toread_count(bureau.reader.id) == 0
    assert kinds(first.id)[-1] == kinds(second.id)[-1] == "read"


def test_someone_elses_or_unknown_item_cannot_be_read(bureau):
    view = start_chain(bureau)
    _circulate(bureau, view, bureau.reader)
    [item] = api.toread(bureau.reader.id).items
    with pytest.raises(Forbidden) as theirs:
        api.read_item([item.id], reader_id=bureau.outsider.id)
    with pytest.raises(Forbidden) as unknown:
        api.read_item([item.id + 999], reader_id=bureau.outsider.id)
    assert theirs.value.message == unknown.value.message
    # A batch with one foreign id marks nothing.
    with pytest.raises(Forbidden):
        api.read_item([item.id, item.id + 999], reader_id=bureau.reader.id)
    db.session.rollback()
    assert api.toread_count(bureau.reader.id) == 1


def test_sender_recalls_unread_items_only(bureau):
    view = start_chain(bureau)
    circulation_id, _ = _circulate(bureau, view, bureau.reader, bureau.reviewer)
    reader_item = api.toread(bureau.reader.id).items[0]
    api.read_item([reader_item.id], reader_id=bureau.reader.id)
    db.session.commit()
    with pytest.raises(Conflict):
        api.recall_circulation(
            circulation_id, actor_id=bureau.starter.id, item_ids=[reader_item.id]
        )
    assert api.recall_circulation(circulation_id, actor_id=bureau.starter.id) == 1
    db.session.commit()
    statuses = {r.reader_id: r.status for r in api.reading_list(view.id)}
    assert statuses == {bureau.reader.id: "read", bureau.reviewer.id: "recalled"}
    assert api.toread(bureau.reviewer.id).total == 0
    assert not api.is_reader(view.id, bureau.reviewer.id)
    assert kinds(view.id)[-1] == "recalled"
    with pytest.raises(Conflict):
        api.recall_circulation(circulation_id, actor_id=bureau.starter.id)


def test_recalled_item_cannot_be_read(bureau):
    view = start_chain(bureau)
    circulation_id, _ = _circulate(bureau, view, bureau.reader)
    item_id = db.session.scalar(db.select(CirculationItem.id))
    api.recall_circulation(circulation_id, actor_id=bureau.starter.id)
    db.session.commit()
    with pytest.raises(Conflict):
        api.read_item([item_id], reader_id=bureau.reader.id)


@pytest.mark.parametrize("who", ["reader", "outsider"])
def test_only_the_sender_recalls(bureau, who):
    view = start_chain(bureau)
    circulation_id, _ = _circulate(bureau, view, bureau.reader)
    with pytest.raises(Forbidden):
        api.recall_circulation(circulation_id, actor_id=getattr(bureau, who).id)
    with pytest.raises(Forbidden):
        api.recall_circulation(circulation_id + 99, actor_id=bureau.starter.id)


def test_non_participants_cannot_circulate(bureau):
    view = start_chain(bureau)
    for stranger in (bureau.outsider, bureau.reader):
        with pytest.raises(Forbidden):
            api.circulate(view.id, sender_id=stranger.id, user_ids=[bureau.approver.id])
    assert not api.may_circulate(view.id, bureau.outsider.id)
    assert api.may_circulate(view.id, bureau.starter.id)


@pytest.mark.parametrize(
    ("more", "field"),
    [
        ({"user_ids": [999999]}, "user_ids"),
        ({"department_ids": [999999]}, "department_ids"),
        ({"note": "长" * 501}, "note"),
        ({}, "readers"),
    ],
)
def test_bad_circulation_is_refused_in_chinese(bureau, more, field):
    view = start_chain(bureau)
    with pytest.raises(ValidationFailed) as raised:
        api.circulate(view.id, sender_id=bureau.starter.id, **more)
    assert field in raised.value.errors


def test_toread_filters_by_unit_and_keyword(bureau):
    view = start_chain(bureau)
    _circulate(bureau, view, bureau.reader)
    assert api.toread(bureau.reader.id, unit_id=bureau.unit.id).total == 1
    assert api.toread(bureau.reader.id, unit_id=bureau.other_unit.id).total == 0
    assert api.toread(bureau.reader.id, keyword="防汛").total == 1
    assert api.toread(bureau.reader.id, keyword="无此标题").total == 0
    with pytest.raises(ValidationFailed):
        api.toread(bureau.reader.id, state="gone")


def test_replay_still_matches_after_circulation(bureau):
    view = start_chain(bureau)
    _circulate(bureau, view, bureau.reader)
    complete_current(view.id, bureau.starter, {"subject": "s"})
    report = api.replay_instance(view.id)
    assert report.ok
    # 传阅 events are known to replay as neutral, not left over as unreplayed kinds.
    assert report.skipped_kinds == ()
