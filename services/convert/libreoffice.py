"""Office documents to PDF with LibreOffice headless, cold (one process per file) or warm.

A cold conversion starts soffice for every file (about two seconds of start-up). A
``WarmConverter`` keeps one soffice running and sends it documents over the UNO bridge
(``uno_bridge.py`` under Debian's system Python), so a page-long .docx converts in a fraction
of a second. Each converter has its own LibreOffice profile directory, because two soffice
processes sharing a profile lock each other out. ``ConverterPool`` hands converters to
concurrent callers; ``convert_to_pdf`` uses one pool per process, started on first use.
"""

from __future__ import annotations

import atexit
import json
import os
import queue
import select
import signal
import subprocess
import tempfile
import threading
import uuid
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from services.config import current_settings
from services.errors import OAError

SOFFICE = "soffice"
# Debian's python3-uno is built for the system interpreter, not for our virtualenv.
SYSTEM_PYTHON = "/usr/bin/python3"
BRIDGE = Path(__file__).with_name("uno_bridge.py")
PDF_FILTER = "writer_pdf_Export"
START_TIMEOUT_S = 90.0
CONVERT_TIMEOUT_S = 120.0


class ConversionFailed(OAError):
    """LibreOffice could not convert a document (or is not installed)."""

    kind = "conversion_failed"


def _profile_arg(profile_dir: Path) -> str:
    return f"-env:UserInstallation={profile_dir.resolve().as_uri()}"


def convert_cold(data: bytes, suffix: str = ".docx", *, profile_dir: Path | None = None) -> bytes:
    """Convert ``data`` with a fresh soffice process; slow, but needs nothing running.

    ``profile_dir`` reuses a LibreOffice profile between calls (a new one costs seconds more).
    """
    with tempfile.TemporaryDirectory(prefix="oa-convert-") as tmp:
        work = Path(tmp)
        source = work / f"document{suffix}"
        source.write_bytes(data)
        command = [
            SOFFICE,
            _profile_arg(profile_dir or work / "profile"),
            "--headless",
            "--norestore",
            "--nolockcheck",
            "--convert-to",
            f"pdf:{PDF_FILTER}",
            "--outdir",
            str(work),
            str(source),
        ]
        try:
            subprocess.run(command, capture_output=True, timeout=CONVERT_TIMEOUT_S, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise ConversionFailed("文档转换为 PDF 失败：LibreOffice 无法运行") from exc
        target = work / "document.pdf"
        if not target.exists():
            raise ConversionFailed("文档转换为 PDF 失败：LibreOffice 未生成文件")
        return target.read_bytes()


class WarmConverter:
    """One running soffice plus its UNO bridge; converts one document at a time."""

    def __init__(self, work_dir: Path) -> None:
        self.work_dir = work_dir
        self.profile_dir = work_dir / "profile"
        self._lock = threading.Lock()
        self._office: subprocess.Popen[bytes] | None = None
        self._bridge: subprocess.Popen[str] | None = None

    def __enter__(self) -> WarmConverter:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def office_pid(self) -> int | None:
        """Process id of the soffice launcher (also its process group), while running."""
        return self._office.pid if self._office is not None else None

    @property
    def running(self) -> bool:
        """True while both soffice and the bridge are alive."""
        return all(p is not None and p.poll() is None for p in (self._office, self._bridge))

    def start(self) -> None:
        """Start soffice listening on a private pipe and the bridge connected to it."""
        if self.running:
            return
        self.close()
        self.work_dir.mkdir(parents=True, exist_ok=True)
        pipe = f"oa-convert-{os.getpid()}-{uuid.uuid4().hex[:12]}"
        self._office = _spawn_office(self.profile_dir, pipe)
        try:
            self._bridge = _spawn_bridge(pipe)
            ready = self._read_reply(START_TIMEOUT_S).get("ready")
        except (OSError, EOFError, ValueError) as exc:
            self.close()
            raise ConversionFailed("PDF 转换服务启动失败：请确认已安装 python3-uno") from exc
        if not ready:
            self.close()
            raise ConversionFailed("PDF 转换服务启动失败")

    def convert(self, data: bytes, suffix: str = ".docx") -> bytes:
        """Convert ``data`` (a file of type ``suffix``) to PDF bytes.

        A crashed soffice is restarted once and the document retried.
        """
        with self._lock:
            try:
                return self._convert_once(data, suffix)
            except (BrokenPipeError, EOFError, ConversionFailed):
                if self.running:
                    raise  # soffice is fine: the document itself cannot be converted
                self.start()
                return self._convert_once(data, suffix)

    def _convert_once(self, data: bytes, suffix: str) -> bytes:
        self.start()
        with tempfile.TemporaryDirectory(prefix="job-", dir=self.work_dir) as tmp:
            source = Path(tmp) / f"document{suffix}"
            target = Path(tmp) / "document.pdf"
            source.write_bytes(data)
            self._send({"op": "convert", "src": str(source), "dst": str(target)})
            reply = self._read_reply(CONVERT_TIMEOUT_S)
            if not reply.get("ok") or not target.exists():
                raise ConversionFailed(
                    "文档转换为 PDF 失败，请检查文件是否为有效的 Word 文档",
                    detail=reply.get("error"),
                )
            return target.read_bytes()

    def _send(self, request: dict[str, Any]) -> None:
        stdin = self._pipe("stdin")
        request.setdefault("filter", PDF_FILTER)
        stdin.write(json.dumps(request) + "\n")
        stdin.flush()

    def _read_reply(self, timeout: float) -> dict[str, Any]:
        stdout = self._pipe("stdout")
        ready, _, _ = select.select([stdout], [], [], timeout)
        if not ready:
            self.close()
            raise ConversionFailed("PDF 转换超时")
        line = stdout.readline()
        if not line:
            raise EOFError("conversion bridge exited")  # soffice crashed under it
        reply: dict[str, Any] = json.loads(line)
        return reply

    def _pipe(self, name: str) -> IO[str]:
        stream = getattr(self._bridge, name, None) if self._bridge else None
        if stream is None:
            raise BrokenPipeError("conversion bridge not running")
        return stream

    def close(self) -> None:
        """Ask soffice to quit, then make sure both processes are gone."""
        bridge, office = self._bridge, self._office
        self._bridge = self._office = None
        quit_sent = _stop_bridge(bridge) if bridge is not None else False
        if office is not None:
            _stop_office(office, graceful=quit_sent)


def _spawn_office(profile_dir: Path, pipe: str) -> subprocess.Popen[bytes]:
    command = [
        SOFFICE,
        _profile_arg(profile_dir),
        "--headless",
        "--invisible",
        "--nologo",
        "--norestore",
        "--nodefault",
        "--nolockcheck",
        f"--accept=pipe,name={pipe};urp;StarOffice.ComponentContext",
    ]
    try:
        # A session of its own, so close() can stop soffice.bin together with its launcher.
        return subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
    except OSError as exc:
        raise ConversionFailed("未安装 LibreOffice，无法转换 PDF") from exc


def _spawn_bridge(pipe: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [SYSTEM_PYTHON, str(BRIDGE), pipe],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        encoding="utf-8",
    )


def _stop_bridge(bridge: subprocess.Popen[str]) -> bool:
    """Ask the bridge to quit (it terminates soffice first); True if the request went out."""
    sent = False
    try:
        if bridge.poll() is None and bridge.stdin is not None:
            bridge.stdin.write(json.dumps({"op": "quit"}) + "\n")
            bridge.stdin.flush()
            sent = True
        bridge.wait(timeout=15)
    except (OSError, subprocess.TimeoutExpired):
        bridge.kill()
        bridge.wait()
    for stream in (bridge.stdin, bridge.stdout):
        if stream is not None:
            stream.close()
    return sent


def _stop_office(office: subprocess.Popen[bytes], *, graceful: bool) -> None:
    try:
        office.wait(timeout=15 if graceful else 0.5)
    except subprocess.TimeoutExpired:
        # The process group is the one _spawn_office created for this soffice only.
        os.killpg(office.pid, signal.SIGKILL)
        office.wait()


class ConverterPool:
    """``size`` warm converters shared by threads; each call borrows an idle one."""

    def __init__(self, size: int, base_dir: Path) -> None:
        self.converters = [WarmConverter(base_dir / f"worker-{n}") for n in range(max(1, size))]
        self._idle: queue.Queue[WarmConverter] = queue.Queue()
        for converter in self.converters:
            self._idle.put(converter)

    def convert(self, data: bytes, suffix: str = ".docx") -> bytes:
        """Convert with the next idle converter (started on first use)."""
        converter = self._idle.get()
        try:
            return converter.convert(data, suffix)
        finally:
            self._idle.put(converter)

    def start(self) -> None:
        """Start every converter now instead of on first use (warm-up at boot)."""
        for converter in self.converters:
            converter.start()

    def close(self) -> None:
        """Stop every converter."""
        for converter in self.converters:
            converter.close()


_pool: ConverterPool | None = None
_pool_pid = 0
_pool_lock = threading.Lock()


def shared_pool() -> ConverterPool:
    """The process-wide pool, sized by ``OA_CONVERT_WORKERS``, under var/convert/<pid>/."""
    global _pool, _pool_pid
    with _pool_lock:
        # A pool inherited through fork (pre-forking servers) belongs to the parent: its pipes
        # must not be shared, so each worker process starts its own.
        if _pool is None or _pool_pid != os.getpid():
            settings = current_settings()
            base = Path(settings.var_dir) / "convert" / str(os.getpid())
            _pool, _pool_pid = ConverterPool(settings.convert_workers, base), os.getpid()
        return _pool


def convert_to_pdf(data: bytes, suffix: str = ".docx") -> bytes:
    """Convert an office document to PDF through the shared warm pool."""
    return shared_pool().convert(data, suffix)


@atexit.register
def shutdown() -> None:
    """Stop the shared pool (also run at interpreter exit, so no soffice is left behind)."""
    global _pool
    with _pool_lock:
        if _pool is not None and _pool_pid == os.getpid():
            _pool.close()
        _pool = None
