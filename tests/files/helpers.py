"""Sample files for the stored-file tests: real PDF, Office, OFD, image and signature bytes."""

from __future__ import annotations

import io
import zipfile

from PIL import Image, ImageDraw

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + bytes(range(256)) * 4


def zip_of(*names: str) -> bytes:
    """A ZIP package holding empty parts with these names (how .docx/.xlsx/.ofd look inside)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name in names:
            archive.writestr(name, "<x/>")
    return out.getvalue()


DOCX = zip_of("[Content_Types].xml", "word/document.xml")
XLSX = zip_of("[Content_Types].xml", "xl/workbook.xml")
OFD = zip_of("OFD.xml", "Doc_0/Document.xml")
ZIP = zip_of("说明.txt")


def image_bytes(fmt: str = "PNG", size: tuple[int, int] = (40, 20)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, "white").save(out, format=fmt)
    return out.getvalue()


def signature_image(fmt: str = "JPEG", size: tuple[int, int] = (1600, 900)) -> bytes:
    """Dark strokes on white paper, like a phone photo of a signature."""
    image = Image.new("RGB", size, (250, 250, 245))
    draw = ImageDraw.Draw(image)
    draw.line([(300, 500), (700, 300), (1000, 600), (1300, 350)], fill=(20, 20, 30), width=18)
    out = io.BytesIO()
    image.save(out, format=fmt)
    return out.getvalue()
