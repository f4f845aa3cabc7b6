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
