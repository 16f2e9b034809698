"""我的签名: uploads are normalised to a trimmed transparent PNG; opinions signed afterwards
carry it, and the pages show it through links only the viewer can use."""

from __future__ import annotations

import io
from dataclasses import replace
from io import BytesIO

import lxml.html
import pytest
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import func, select

from services import config
from services.db import db
from services.errors import ValidationFailed
from services.files import signatures
from services.files.models import StoredFile
from tests.auth.helpers import csrf_token
from tests.files.helpers import PDF, image_bytes, signature_image
from tests.files.test_task_attachments import switch_user
from tests.workbench.conftest import Office, office  # noqa: F401  (the fixture)
from tests.workbench.helpers import APPLY, logged_in, open_task_of, start_qingjia, submit


def test_upload_becomes_trimmed_transparent_png(office: Office) -> None:  # noqa: F811
    row = signatures.set_signature(office.head.id, signature_image("JPEG", (1600, 900)))
    image = Image.open(io.BytesIO(row.content))
    assert (image.format, image.mode, row.kind, row.purpose) == ("PNG", "RGBA", "png", "signature")
    assert image.width <= 600 and image.height <= 240
    alpha = image.getchannel("A")
    assert alpha.getextrema() == (0, 255)  # paper gone, ink kept
    assert alpha.getpixel((0, 0)) == 0 or alpha.getpixel((image.width - 1, 0)) == 0
    assert signatures.current_signature(office.head.id) == row


def test_replacing_keeps_the_old_file(office: Office) -> None:  # noqa: F811
    first = signatures.set_signature(office.head.id, signature_image("PNG"))
    second = signatures.set_signature(office.head.id, signature_image("JPEG"))
    assert signatures.current_signature(office.head.id) == second
    assert db.session.get(StoredFile, first.id) is not None  # earlier opinions still refer to it


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (image_bytes("GIF"), "签名图片只能是 PNG 或 JPEG 格式"),
        (PDF, "签名图片只能是 PNG 或 JPEG 格式"),
        (
            image_bytes("PNG", (300, 100)),
            "签名图片中没有可识别的笔迹，请在白纸上用深色笔书写后拍照上传",
        ),
    ],
)
def test_bad_images_are_refused(office: Office, content: bytes, message: str) -> None:  # noqa: F811
    with pytest.raises(ValidationFailed) as caught:
        signatures.set_signature(office.head.id, content)
    assert caught.value.message == message


def test_size_limit(office: Office, monkeypatch) -> None:  # noqa: F811
    small = replace(config.current_settings(), signature_max_kb=1)
    monkeypatch.setattr(config, "_installed", small)
    with pytest.raises(ValidationFailed, match="签名图片超过 1 KB 的大小限制"):
        signatures.set_signature(office.head.id, signature_image("PNG"))


def _upload(client: FlaskClient, content: bytes, name: str):
    data = {
        "csrf_token": csrf_token(client, "/files/signature"),
        "signature": (BytesIO(content), name),
    }
    return client.post("/files/signature", data=data)


def test_signature_page_round_trip(client: FlaskClient, office: Office) -> None:  # noqa: F811
    head = logged_in(client, "head1")
    assert "您还没有上传手写签名" in head.get("/files/signature").get_data(as_text=True)
    refused = _upload(head, PDF, "签名.png")
    assert refused.status_code == 422
    assert "签名图片只能是 PNG 或 JPEG 格式" in refused.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(StoredFile)) == 0
    assert _upload(head, signature_image(), "签名.jpg").status_code == 302
    page = head.get("/files/signature").get_data(as_text=True)
    assert 'src="/files/signature/image"' in page
    image = head.get("/files/signature/image")
    assert image.headers["Content-Type"] == "image/png"
    assert image.headers["X-Content-Type-Options"] == "nosniff"
    assert image.data.startswith(b"\x89PNG")


def test_opinion_carries_the_signature(client: FlaskClient, office: Office) -> None:  # noqa: F811
    row = signatures.set_signature(office.head.id, signature_image())
    db.session.commit()
    task = start_qingjia(office.clerk.id)
    clerk = logged_in(client, "clerk1")
    assert submit(clerk, f"/workbench/tasks/{task.id}", APPLY).status_code == 302
    head = switch_user(clerk, "head1")
    approve = open_task_of(office.head.id)
    path = f"/workbench/tasks/{approve.id}"
    assert submit(head, path, {"approved": "true", "opinions": "同意。"}).status_code == 302
    html = head.get(path).get_data(as_text=True)
    entry = lxml.html.fromstring(html).xpath("//section[contains(@class,'wb-signed')]//li")[0]
    assert entry.xpath("string(.//span[@class='opinion-user'])") == "李科长"
    assert entry.xpath("string(.//span[@class='opinion-position'])") == "部门负责人"
    assert entry.xpath("string(.//time)")
    link = entry.xpath(".//img[@class='opinion-signature']/@src")[0]
    shown = head.get(link)
    assert shown.status_code == 200 and shown.data == row.content
    assert head.get(link[:-3] + "abc").status_code == 403  # forged link
    clerk = switch_user(head, "clerk1")
    assert clerk.get(link).status_code == 403  # the link was signed for the head, not the clerk
    assert clerk.get("/files/signature/image").status_code == 404  # the clerk has none
    clerk_view = clerk.get(f"/workbench/instances/{approve.instance_id}").get_data(as_text=True)
    own_link = lxml.html.fromstring(clerk_view).xpath("//img[@class='opinion-signature']/@src")[0]
    assert clerk.get(own_link).data == row.content
