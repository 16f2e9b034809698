"""流程设计 in Chromium: an analyst opens qingjia in the bpmn-js modeler, edits through our
properties panel, validates (errors marked on the diagram, then none) and deploys v2; the form
JSON editor previews live; a 系统管理员 migrates an instance to v2 after the dry run."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, expect

from engine import api
from engine.definitions import repository
from services.db import db
from services.org.roles import ANALYST
from tests.browser.conftest import ADMIN_PASSWORD
from tests.support.live_server import LiveServer

PASSWORD = "Liucheng#Tu2025"
QINGJIA = Path(__file__).resolve().parents[2] / "processes" / "qingjia.bpmn"


def _deploy_v1(server: LiveServer) -> None:
    with server.app_context():
        repository.deploy({"qingjia.bpmn": QINGJIA.read_bytes()}, deployed_by=None)
        db.session.commit()


def _select(page: Page, element_id: str) -> None:
    page.locator(f".djs-element.djs-shape[data-element-id='{element_id}']").click()
    expect(page.locator("#props-body")).to_contain_text(element_id)


def _set(page: Page, label: str, value: str) -> None:
    field = page.locator("#props-body").get_by_label(label, exact=True)
    field.fill(value)
    field.press("Tab")  # the panel writes on change


def test_analyst_edits_validates_and_deploys_v2(
    page: Page, live_server: LiveServer, signed_in: Callable[..., int], tmp_path: Path
) -> None:
    _deploy_v1(live_server)
    signed_in("sheji", "王设计", PASSWORD, roles=(ANALYST,))
    page.get_by_role("link", name="流程设计").click()
    qingjia_row = page.get_by_role("row").filter(has_text="qingjia.bpmn")
    qingjia_row.get_by_role("link", name="在建模器中打开").first.click()
    expect(page.locator(".djs-element[data-element-id='apply']")).to_be_visible()

    _select(page, "apply")
    _set(page, "表单标识", "no_such_form")
    page.get_by_role("button", name="校验").click()
    expect(page.locator("#studio-status")).to_contain_text("校验发现")
    expect(page.locator("#messages-list")).to_contain_text("no_such_form")
    expect(page.locator(".djs-element.studio-error[data-element-id='apply']")).to_have_count(1)

    # apply is still selected (clicking it again would toggle the selection off).
    _set(page, "表单标识", "qingjia_apply")
    _set(page, "办理期限", "P2D")
    _set(page, "名称", "填写请假申请")
    expect(page.locator(".djs-element[data-element-id='apply']")).to_contain_text("填写请假申请")
    page.get_by_role("button", name="校验").click()
    expect(page.locator("#studio-status")).to_have_text("校验通过，没有发现问题。")
    expect(page.locator(".studio-error")).to_have_count(0)
    page.screenshot(path=str(tmp_path / "studio.png"))

    page.get_by_label("部署备注").fill("任务改名")
    page.get_by_role("button", name="部署").click()
    expect(page.locator("#studio-status")).to_contain_text("请假申请（qingjia）v2")
    with live_server.app_context():
        latest = repository.latest_version("qingjia")
        xml = latest.files["qingjia.bpmn"]
        assert (latest.version, latest.comment) == (2, "任务改名")
        assert 'name="填写请假申请"' in xml
        assert '<spiffworkflow:property name="dueIn" value="P2D"' in xml
        assert '<spiffworkflow:property name="formKey" value="qingjia_apply"' in xml


def test_service_task_operator_and_draft_round_trip(
    page: Page, signed_in: Callable[..., int]
) -> None:
    signed_in("sheji", "王设计", PASSWORD, roles=(ANALYST,))
    page.goto("/studio/")
    page.get_by_label("流程标识").fill("chuchai")
    page.get_by_label("流程名称").fill("出差审批")
    page.get_by_role("button", name="从模板新建").click()
    expect(page.locator(".djs-element[data-element-id='handle']")).to_be_visible()
    # Turn the user task into a service task through the modeler's own API, then fill our panel.
    page.evaluate(
        """() => {
          const m = window.oaStudio.modeler;
          const shape = m.get('elementRegistry').get('handle');
          const replaced = m.get('bpmnReplace').replaceElement(shape, {type: 'bpmn:ServiceTask'});
          m.get('selection').select(replaced);
        }"""
    )
    _set(page, "服务名称", "engine.echo")
    page.get_by_role("button", name="添加参数").click()
    page.get_by_label("参数1 id").fill("message")
    page.get_by_label("参数1 id").press("Tab")
    page.get_by_label("参数1 value").fill("'你好'")
    page.get_by_label("参数1 value").press("Tab")
    page.get_by_role("button", name="校验").click()
    expect(page.locator("#studio-status")).to_have_text("校验通过，没有发现问题。")
    page.get_by_role("button", name="保存草稿").click()
    expect(page.locator("#studio-status")).to_contain_text("草稿已保存")
    page.reload()
    expect(page.locator(".djs-element.djs-shape").first).to_be_visible()
    xml = page.evaluate("() => window.oaStudio.xml()")
    assert '<spiffworkflow:serviceTaskOperator id="engine.echo">' in xml
    assert '<spiffworkflow:parameter id="message" type="str" value="&#39;你好&#39;"' in xml or (
        '<spiffworkflow:parameter id="message" type="str" value="\'你好\'"' in xml
    )


def test_form_json_editor_previews_live(page: Page, signed_in: Callable[..., int]) -> None:
    signed_in("sheji", "王设计", PASSWORD, roles=(ANALYST,))
    page.goto("/studio/")
    page.get_by_role("link", name="qingjia_apply").click()
    preview = page.locator("#form-preview")
    expect(preview.locator("form.oa-form")).to_be_visible()
    editor = page.get_by_label("表单 JSON")
    text = editor.input_value()
    editor.fill(text + "}")
    expect(page.locator("#form-problem")).to_contain_text("不是合法的 JSON")
    assert '"title": "请假申请"' in text
    editor.fill(text.replace('"title": "请假申请"', '"title": "预览标题改了"', 1))
    expect(page.locator("#form-problem")).to_have_text("")
    expect(preview).to_contain_text("预览标题改了")
    page.screenshot(path="/tmp/form-editor.png", full_page=True)


def test_admin_migrates_an_instance_after_the_dry_run(
    page: Page,
    live_server: LiveServer,
    system_admin: str,
    add_user: Callable[..., int],
    login: Callable[[Page, str, str], None],
) -> None:
    starter = add_user("zhangsan", "张三", PASSWORD)
    _deploy_v1(live_server)
    with live_server.app_context():
        instance_id = api.start_instance("qingjia", starter_id=starter).id
        renamed = QINGJIA.read_text("utf-8").replace('name="填写申请"', 'name="填写请假申请"')
        repository.deploy({"qingjia.bpmn": renamed.encode()}, deployed_by=None)
        db.session.commit()
    login(page, system_admin, ADMIN_PASSWORD)
    page.get_by_role("link", name="流程管理").click()
    page.get_by_role("link", name="请假申请").click()
    page.get_by_label(f"选择实例 {instance_id}").check()
    page.get_by_label("迁移到").select_option(label="v2")
    page.get_by_role("button", name="迁移预演").click()
    expect(page.locator("#plan-verdict")).to_contain_text("预演通过")
    page.get_by_role("button", name="确认迁移").click()
    expect(page.locator(".flash-success")).to_contain_text("已将 1 个流程实例迁移到新版本")
    with live_server.app_context():
        assert api.get_instance(instance_id).version_id == repository.latest_version("qingjia").id
