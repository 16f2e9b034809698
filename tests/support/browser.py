"""Launching Debian's Chromium through Playwright, shared by browser tests and screenshots.

Playwright's own browser download cannot work on these machines, so we always drive the
system Chromium (apt package ``chromium``) with flags that keep it off the network.
"""

from __future__ import annotations

import base64
from pathlib import Path

from playwright.sync_api import Browser, Page, Playwright, ViewportSize

CHROMIUM = Path("/usr/bin/chromium")
INSTALL_HINT = (
    "需要 Debian 的 Chromium 和中文字体：运行 `make system-deps`，"
    "或 `apt-get install -y --no-install-recommends chromium fonts-noto-cjk`。"
)
CHROMIUM_ARGS = (
    "--no-sandbox",  # we run as root in CI, where the sandbox cannot start
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
DESKTOP_VIEWPORT: ViewportSize = {"width": 1366, "height": 860}
PHONE_VIEWPORT: ViewportSize = {"width": 390, "height": 844}


class ChromiumMissing(RuntimeError):
    """The system Chromium is not installed; the message says how to install it."""


def chromium_problem() -> str | None:
    """Why the system Chromium cannot be used (with the install command), or ``None``."""
    if not CHROMIUM.exists():
        return f"{CHROMIUM} 不存在。{INSTALL_HINT}"
    return None


def launch_chromium(playwright: Playwright) -> Browser:
    """Start headless system Chromium, or raise ``ChromiumMissing`` with the install command."""
    problem = chromium_problem()
    if problem is not None:
        raise ChromiumMissing(problem)
    return playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=list(CHROMIUM_ARGS)
    )


def log_in(page: Page, username: str, password: str) -> None:
    """Fill the real login form and submit it, waiting for the next page to load."""
    page.goto("/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.get_by_role("button", name="登录").click()


_GLYPHS_JS = """
([selector, chars]) => {
  const family = getComputedStyle(document.querySelector(selector)).fontFamily;
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = 48;
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  return [...chars].map((ch) => {
    ctx.clearRect(0, 0, 48, 48);
    ctx.font = `40px ${family}`;
    ctx.fillText(ch, 4, 40);
    const alpha = ctx.getImageData(0, 0, 48, 48).data.filter((_, i) => i % 4 === 3);
    return { ink: alpha.filter((a) => a > 0).length, shape: Array.from(alpha).join(",") };
  });
}
"""


def glyph_shapes(page: Page, selector: str, chars: str) -> list[tuple[int, str]]:
    """Draw each of ``chars`` in the font of ``selector``; return (inked pixels, bitmap) per char.

    Without a CJK font Chromium draws the same empty box (tofu) for every character, so
    distinct bitmaps with ink prove the Chinese glyphs really render.
    """
    shapes = page.evaluate(_GLYPHS_JS, [selector, chars])
    return [(int(s["ink"]), str(s["shape"])) for s in shapes]


_INK_JS = """
async (b64) => {
  const img = new Image();
  img.src = "data:image/png;base64," + b64;
  await img.decode();
  const canvas = document.createElement("canvas");
  canvas.width = img.width;
  canvas.height = img.height;
  const ctx = canvas.getContext("2d");
  ctx.drawImage(img, 0, 0);
  const px = ctx.getImageData(0, 0, img.width, img.height).data;
  const [r0, g0, b0] = [px[0], px[1], px[2]];
  let ink = 0;
  for (let i = 0; i < px.length; i += 4) {
    if (Math.abs(px[i] - r0) + Math.abs(px[i + 1] - g0) + Math.abs(px[i + 2] - b0) > 90) ink++;
  }
  return ink / (px.length / 4);
}
"""


def ink_fraction(page: Page, png: bytes) -> float:
    """Share of a screenshot's pixels that clearly differ from its top-left (background) pixel.

    Decoded by the browser itself (on a blank tab of the same context), so no imaging library
    is needed; a blank or single-colour screenshot gives 0.
    """
    scratch = page.context.new_page()
    try:
        return float(scratch.evaluate(_INK_JS, base64.b64encode(png).decode("ascii")))
    finally:
        scratch.close()
