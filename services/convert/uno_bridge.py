"""Conversion bridge run by Debian's ``/usr/bin/python3``, which has LibreOffice's ``uno`` module.

The platform's virtualenv Python cannot import ``uno`` (Debian builds it for the system
interpreter), so the converter starts this script as a child process and talks to it over
stdin/stdout, one JSON object per line:

    -> {"op": "convert", "src": "/tmp/a.docx", "dst": "/tmp/a.pdf", "filter": "writer_pdf_Export"}
    <- {"ok": true} | {"ok": false, "error": "..."}
    -> {"op": "quit"}            (terminates soffice, then the bridge exits)

The first line written is ``{"ready": true}`` once soffice accepts connections.
"""

from __future__ import annotations

import contextlib
import json
import sys
import time
from typing import Any

import uno
from com.sun.star.beans import PropertyValue
from com.sun.star.connection import NoConnectException

CONNECT_TIMEOUT_S = 60.0


def _prop(name: str, value: Any) -> Any:
    prop = PropertyValue()
    prop.Name = name
    prop.Value = value
    return prop


def _connect(pipe_name: str) -> Any:
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext(
        "com.sun.star.bridge.UnoUrlResolver", local
    )
    url = f"uno:pipe,name={pipe_name};urp;StarOffice.ComponentContext"
    deadline = time.monotonic() + CONNECT_TIMEOUT_S
    while True:
        try:
            ctx = resolver.resolve(url)
            break
        except NoConnectException:
            # soffice is still starting; it opens the pipe after loading its profile.
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
    return ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)


def _convert(desktop: Any, src: str, dst: str, filter_name: str) -> None:
    load_props = (_prop("Hidden", True), _prop("ReadOnly", True), _prop("UpdateDocMode", 0))
    doc = desktop.loadComponentFromURL(uno.systemPathToFileUrl(src), "_blank", 0, load_props)
    if doc is None:
        raise RuntimeError(f"cannot open {src}")
    try:
        doc.storeToURL(uno.systemPathToFileUrl(dst), (_prop("FilterName", filter_name),))
    finally:
        doc.close(True)


def _reply(payload: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(payload) + "\n")
    sys.stdout.flush()


def main(pipe_name: str) -> None:
    desktop = _connect(pipe_name)
    _reply({"ready": True})
    for line in sys.stdin:
        request = json.loads(line)
        if request.get("op") == "quit":
            break
        try:
            _convert(desktop, request["src"], request["dst"], request["filter"])
        except Exception as exc:  # any UNO failure is reported to the caller, not fatal
            _reply({"ok": False, "error": f"{type(exc).__name__}: {exc}"})
        else:
            _reply({"ok": True})
    # soffice drops the bridge while terminating, which surfaces as an exception here.
    with contextlib.suppress(Exception):
        desktop.terminate()


if __name__ == "__main__":
    main(sys.argv[1])
