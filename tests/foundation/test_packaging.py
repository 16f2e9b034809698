"""A non-editable ``pip install .`` carries every data file the packages read at runtime.

Builds the wheel from a copy of the packaged sources (so the shared checkout gets no build/)
and compares its contents with every non-Python file inside the packages.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("engine", "services", "web", "migrations")
BUILD_FILES = ("setup.cfg", "pyproject.toml", "README.md")
SKIPPED = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
# Read at runtime by the code that the tests below name explicitly.
MUST_HAVE = (
    "services/calendar/data/2026.txt",
    "services/archive/retention_default.json",
    "services/documents/templates/general.docx",
    "services/documents/fonts/gongwen-fonts.conf",
    "web/templates/base.html",
    "web/templates/calendar/index.html",
    "web/static/css/app.css",
    "migrations/script.py.mako",
)


def data_files(root: Path) -> set[str]:
    """Non-Python files under the packages, as paths relative to ``root``."""
    found = set()
    for package in PACKAGES:
        for path in (root / package).rglob("*"):
            skipped = path.suffix in (".py", ".pyc") or "__pycache__" in path.parts
            if path.is_file() and not skipped:
                found.add(path.relative_to(root).as_posix())
    return found


def build_wheel(tmp_path: Path) -> set[str]:
    source = tmp_path / "src"
    for package in PACKAGES:
        shutil.copytree(ROOT / package, source / package, ignore=SKIPPED)
    for name in BUILD_FILES:
        shutil.copy2(ROOT / name, source / name)
    out = tmp_path / "dist"
    command = [sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "-q", "-w", str(out)]
    completed = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    (wheel,) = out.glob("zhengwu_oa-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


def test_the_wheel_carries_every_runtime_data_file(tmp_path: Path) -> None:
    expected = data_files(ROOT)
    assert set(MUST_HAVE) <= expected
    contents = build_wheel(tmp_path)
    missing = sorted(expected - contents)
    assert not missing, f"not in the wheel (add to [options.package_data] in setup.cfg): {missing}"
    assert "services/calendar/days.py" in contents and "web/cli.py" in contents
    entry_points = next(n for n in contents if n.endswith(".dist-info/entry_points.txt"))
    assert entry_points.startswith("zhengwu_oa-")
