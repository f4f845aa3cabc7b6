"""Headless Chromium for the browser tests (Debian's chromium and chromium-driver, driven by selenium).

Run on its own, it measures the dashboard's first useful paint at a URL:

    python tests/browser.py http://127.0.0.1:8000/?store=store_seattle [runs]
"""

from __future__ import annotations

import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

CHROMIUM = os.environ.get("CHROMIUM") or "/usr/bin/chromium"  # Debian's chromium; CHROMIUM names another
CHROMEDRIVER = os.environ.get("CHROMEDRIVER") or "/usr/bin/chromedriver"
FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1400,1000",
)


def browser_missing() -> str | None:
    """Why the browser tests cannot run here, or None."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -r requirements-dev.txt)"
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not Path(p).is_file()]
    if missing:
        return f"{' and '.join(missing)} missing (apt-get install chromium chromium-driver)"
    return None


def chrome(profile: Path):
    """A headless Chromium with a fresh profile in `profile`."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


def wait_for(condition, timeout: float, interval: float = 0.02):
    """condition()'s first truthy value within `timeout` s, else None."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)


def first_paint_ms(driver, url: str) -> float:
    """Milliseconds from navigation start until the page has drawn the store's inventory and orders."""
    driver.get(url)
    painted = wait_for(lambda: driver.execute_script("return window.dashboard && window.dashboard.firstPaintMs"), 30)
    if not painted:
        raise RuntimeError(f"the page at {url} drew nothing within 30 s")
    return float(painted)


def set_width(driver, width: int, height: int = 900) -> None:
    """Lay the page out as a screen `width` CSS pixels wide (a phone below 700: touch, the viewport meta tag)."""
    metrics = {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 700}
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)


# Each panel of the dashboard, and the elements that must stay whole inside it.
PANELS = "header, .figure, #chart-box, #inventory-box, #orders-box, #message"
CONTENT = "h1, h2, td, th, button, input, select, label, .value, .label, svg, #live"
LAYOUT_SCRIPT = f"""
const problems = [];
const name = (e) => e.id ? "#" + e.id : e.tagName.toLowerCase() + (e.className ? "." + e.className : "");
const root = document.documentElement;
if (root.scrollWidth > root.clientWidth) problems.push(`the page scrolls sideways (${{root.scrollWidth}} px)`);
for (const panel of document.querySelectorAll("{PANELS}")) {{
  if (panel.hidden) continue;
  if (panel.scrollWidth > panel.clientWidth + 1) {{
    problems.push(`${{name(panel)}} scrolls sideways: ${{panel.scrollWidth}} > ${{panel.clientWidth}} px`);
  }}
  const box = panel.getBoundingClientRect();
  for (const e of panel.querySelectorAll("{CONTENT}")) {{
    const r = e.getBoundingClientRect();
    if (!r.width || !e.getClientRects().length) continue;  // not shown
    if (r.left < box.left - 1 || r.right > box.right + 1) {{
      problems.push(`${{name(e)}} "${{e.textContent.trim().slice(0, 30)}}" sticks out of ${{name(panel)}}`);
    }}
  }}
}}
return problems.slice(0, 10);
"""


def layout_problems(driver) -> list[str]:
    """What does not fit on the dashboard as laid out now: sideways scrolling of the page or of a panel, or an
    element reaching past its panel's edges (the first 10)."""
    return driver.execute_script(LAYOUT_SCRIPT)


def main(argv: list[str]) -> int:
    url, runs = argv[0], int(argv[1]) if len(argv) > 1 else 5
    profile = Path(tempfile.mkdtemp(prefix="zava-chrome-"))
    driver = chrome(profile)
    try:
        times = [first_paint_ms(driver, url) for _ in range(runs)]
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
    print(f"first useful paint over {runs} loads: median {statistics.median(times):.0f} ms, max {max(times):.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
