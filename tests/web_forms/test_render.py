"""Rendering: every widget becomes accessible HTML; stored data, errors and raw input show."""

from __future__ import annotations

import pytest
from flask import current_app, g
from werkzeug.datastructures import MultiDict

from services.files import signatures
from tests.files.helpers import signature_image
from tests.web_forms.conftest import FormOrg
from tests.web_forms.helpers import browser_submission, document, html_of, render_html, sample
from tests.web_forms.test_parse import stored_data
from web.forms.parse import parse_submission
from web.forms.render import render_form

PICKER = "//div[@data-picker][@data-kind='{}'][@data-multiple='{}'][@data-endpoint='{}']"


@pytest.mark.parametrize(
    ("widget", "xpath"),
    [
        (
            "text",
            "//input[@type='text'][@name='title'][@required][@maxlength='100']"
            "[@placeholder='请输入来文标题']",
        ),
        ("textarea", "//textarea[@name='summary'][@rows='3'][@maxlength='500']"),
        ("help", "//p[@id='f-summary-help'][.='概括来文的主要内容，不超过 500 字']"),
        ("select", "//select[@name='doc_kind'][@required]/option[@value='请示'][.='请示']"),
        (
            "radio",
            "//fieldset[legend[starts-with(., '紧急程度')]]"
            "//input[@type='radio'][@name='urgency'][@value='特急']",
        ),
        ("integer", "//input[@type='number'][@name='copies'][@step='1'][@min='1'][@max='999']"),
        ("number", "//input[@type='number'][@name='amount'][@step='any'][@min='0']"),
        ("date", "//input[@type='date'][@name='due_date'][@required]"),
        ("datetime", "//input[@type='datetime-local'][@name='meeting_at']"),
        ("boolean", "//input[@type='checkbox'][@name='public'][@value='true']"),
        ("section", "//fieldset[@data-show-if][legend='资金情况']//select[@name='funding.source']"),
        ("checkboxes", "//fieldset[legend='涉及领域']//input[@type='checkbox'][@value='环保']"),
        ("table", "//fieldset[@data-table]//tbody//input[@name='items.0.name']"),
        (
            "table row template",
            "//fieldset[@data-table]//template//input[@name='items.__i__.name']",
        ),
        (
            "file",
            "//input[@type='file'][@name='attachments'][@multiple]"
            "[@accept='.pdf,.docx,.ofd'][@data-max-mb='1']",
        ),
        (
            "file limits",
            "//p[@id='f-attachments-help'][.='单个文件不超过 1 MB；允许的类型：.pdf、.docx、.ofd']",
        ),
        ("richtext", "//textarea[@class='richtext'][@name='body']"),
        (
            "user-picker",
            PICKER.format("user", "false", "/directory/api/users")
            + "//input[@type='search'][@id='f-handler'][@role='combobox']",
        ),
        ("unit-picker", PICKER.format("unit", "true", "/directory/api/units")),
        ("department-picker", PICKER.format("department", "false", "/directory/api/departments")),
        ("opinion", "//fieldset[legend[starts-with(., '拟办意见')]]//textarea[@name='opinions']"),
        ("readonly", "//output[@id='f-serial_no'][.='江教收〔2025〕18号']"),
        ("required marker", "//label[@for='f-title']/span[@class='req'][.='*']"),
    ],
)
def test_each_widget_renders(org: FormOrg, widget: str, xpath: str) -> None:
    root = document(render_html(sample()))
    assert root.xpath(xpath), f"{widget}: nothing matches {xpath}"


def test_read_only_field_has_no_input(org: FormOrg) -> None:
    root = document(render_html(sample()))
    assert not root.xpath("//*[@name='serial_no']")


def _accessibility_problems(html: str) -> list[str]:
    root = document(html)
    problems = []
    ids = root.xpath("//@id")
    problems += [f"duplicate id {i}" for i in set(ids) if ids.count(i) > 1]
    controls = root.xpath(
        "//input[not(@type='hidden')][not(ancestor::template)]"
        " | //select[not(ancestor::template)] | //textarea[not(ancestor::template)]"
        " | //output"
    )
    for control in controls:
        if len(root.xpath(f"//label[@for='{control.get('id')}']")) != 1:
            problems.append(f"no label for {control.get('name') or control.get('id')}")
        for ref in (control.get("aria-describedby") or "").split():
            if ref not in ids:
                problems.append(f"{control.get('id')} describedby missing {ref}")
    problems += [f"fieldset {f.get('id')} without legend" for f in root.xpath("//fieldset")
                 if not f.xpath("./legend")]  # fmt: skip
    return problems


def test_empty_form_is_accessible(org: FormOrg) -> None:
    assert _accessibility_problems(render_html(sample())) == []


def test_form_with_data_and_errors_is_accessible(org: FormOrg) -> None:
    post = browser_submission(render_html(sample(), previous=stored_data(org)))
    for name, typed in {"copies": "abc", "items.0.pages": "x", "handler": "0"}.items():
        post.setlist(name, [typed])
    post.setlist("urgency", [])
    submission = parse_submission(sample(), post, previous=stored_data(org))
    html = render_html(sample(), raw=submission.raw, errors=submission.errors)
    assert len(submission.errors) == 4
    assert _accessibility_problems(html) == []


@pytest.mark.parametrize(
    ("name", "typed", "message", "control"),
    [
        ("copies", "abc", "份数应为整数", "//input[@id='f-copies'][@value='abc']"),
        ("title", "标" * 101, "标题不能超过 100 个字符", "//input[@id='f-title']"),
        ("items.0.pages", "三", "页数应为整数", "//input[@id='f-items-0-pages'][@value='三']"),
        ("summary", "旧<b>", "", "//textarea[@id='f-summary'][.='旧<b>']"),
    ],
)
def test_errors_show_next_to_fields_with_input_kept(
    org: FormOrg, name: str, typed: str, message: str, control: str
) -> None:
    data = stored_data(org)
    post = browser_submission(render_html(sample(), previous=data))
    post.setlist(name, [typed])
    post.setlist("due_date", [])  # a second, unrelated error: input elsewhere is kept too
    submission = parse_submission(sample(), post, previous=data)
    root = document(render_html(sample(), raw=submission.raw, errors=submission.errors))
    assert root.xpath(control)
    assert root.xpath("//input[@id='f-due_date'][@aria-invalid='true']")
    assert root.xpath("//p[@id='f-due_date-error'][.='办结期限为必填项']")
    if message:
        element = root.xpath(control)[0]
        assert f"f-{name.replace('.', '-')}-error" in element.get("aria-describedby")
        assert root.xpath(f"//p[@class='field-error'][.='{message}']")
        assert root.xpath(f"//div[@role='alert']//a[.='{message}']")


def test_stored_data_is_shown(org: FormOrg) -> None:
    html = render_html(sample(), previous=stored_data(org))
    root = document(html)
    chips = root.xpath("//div[@data-kind='user']//li[@class='chip']")
    assert [c.xpath("string(span)") for c in chips] == ["张科员（市教育局 · 科员）"]
    assert root.xpath(f"//li[@class='chip']/input[@name='handler'][@value='{org.clerk.id}']")
    units = root.xpath("//div[@data-kind='unit']//li[@class='chip']/span/text()")
    assert units == ["江城市教育局", "江城市青石镇人民政府"]
    assert root.xpath("//div[@data-kind='department']//li/span[.='市教育局 · 办公室']")
    assert root.xpath("//input[@id='f-meeting_at'][@value='2025-03-03T10:00']")  # Beijing time
    assert root.xpath("//input[@id='f-public'][@checked]")
    assert root.xpath("//input[@id='f-urgency-2'][@checked]")
    assert root.xpath("//select[@id='f-doc_kind']/option[@selected][.='通知']")
    rows = root.xpath("//fieldset[@data-table]//tbody/tr")
    assert len(rows) == 3  # two stored rows and a blank one to add a row without JS
    assert root.xpath("//ul[@class='file-list']/li[starts-with(., '通知.pdf')]")


def _with_signature(org: FormOrg, signer_id: int) -> dict:
    """Stored data whose earlier opinion, signed by ``signer_id``, names the director's
    signature file."""
    row = signatures.set_signature(org.director.id, signature_image())
    data = stored_data(org)
    data["opinions"] = [{**data["opinions"][0], "user_id": signer_id, "signature": str(row.id)}]
    return data


def _render_for(org: FormOrg, data: dict):
    with current_app.test_request_context():
        g.user = org.clerk  # signature links are signed for the viewer
        return document(html_of(render_form(sample(), previous=data)))


def test_earlier_opinions_are_shown_read_only(org: FormOrg) -> None:
    root = _render_for(org, _with_signature(org, org.director.id))
    entry = root.xpath("//ol[@class='opinion-history']/li")
    assert len(entry) == 1
    assert entry[0].xpath("string(.//p[@class='opinion-text'])") == "请办公室拟办。"
    sign = entry[0].xpath(".//p[@class='opinion-sign']")[0]
    assert sign.xpath("string(span[@class='opinion-user'])") == "王局长"
    assert sign.xpath("string(span[@class='opinion-position'])") == "单位负责人"
    assert sign.xpath("string(time)") == "2025-03-01 09:00"
    image = sign.xpath("img[@class='opinion-signature']")[0]
    assert (
        image.get("src").startswith("/files/signatures/") and image.get("alt") == "王局长的手写签名"
    )
    assert not entry[0].xpath(".//input | .//textarea")
    assert root.xpath("//textarea[@name='opinions'][.='']")


def test_someone_elses_signature_is_not_shown(org: FormOrg) -> None:
    root = _render_for(org, _with_signature(org, org.clerk.id))  # the clerk did not upload it
    assert root.xpath("//ol[@class='opinion-history']/li")
    assert not root.xpath("//img[@class='opinion-signature']")


def test_unknown_picker_id_is_kept_visible(org: FormOrg) -> None:
    submission = parse_submission(sample(), MultiDict({"handler": "424242"}), previous={})
    root = document(render_html(sample(), raw=submission.raw, errors=submission.errors))
    assert root.xpath("//div[@data-kind='user']//li/span[.='（编号 424242）']")
    assert root.xpath("//p[@id='f-handler-error'][.='承办人：所选人员不存在或已停用']")


def test_error_without_a_field_is_listed_unlinked(org: FormOrg) -> None:
    errors = {"_form": "表单已被他人修改，请刷新", "copies": "份数应为整数"}
    root = document(render_html(sample(), errors=errors))
    summary = root.xpath("//div[@role='alert']//li")
    assert [li.text_content() for li in summary] == list(errors.values())
    assert not summary[0].xpath("a") and summary[1].xpath("a[@href='#f-copies']")
