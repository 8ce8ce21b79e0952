"""Headless Chromium screenshots of the running console (map page and KPI page), against the
live seeded API; saved to tests/artifacts/ for people to look at."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.api.live import free_port

REPO = Path(__file__).resolve().parents[2]
DECK = "[data-testid='stDeckGlJsonChart']"
BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--no-first-run"]


@pytest.fixture(scope="module")
def console_url(seeded, chromium_path) -> Iterator[str]:
    """`streamlit run ops_console/app.py` on a free port, pointed at the seeded API."""
    port = free_port()
    env = {**os.environ, "NORIAI_API_URL": seeded.url, "NORIAI_OPERATOR_LOGIN": "operator",
           "NORIAI_OPERATOR_PASSWORD": "operator-dev"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(REPO / "ops_console" / "app.py"),
         "--server.headless", "true", "--server.port", str(port), "--server.address", "127.0.0.1",
         "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/_stcore/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        else:
            raise RuntimeError("streamlit did not start")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)


@pytest.fixture(scope="module")
def browser(chromium_path):
    """Debian's chromium driven by Playwright."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path, args=BROWSER_ARGS)
        yield b
        b.close()


def shoot(browser, url: str, out: Path, ready: str, settle_s: float = 3.0,
          element: Path | None = None) -> str:
    """Open ``url``, wait for ``ready`` (CSS) and a quiet app, screenshot to ``out`` (and the
    ``ready`` element alone to ``element``); returns the page text. Fails on any request that
    leaves this machine (map tiles, fonts, icons)."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000}, locale="ja-JP",
                            timezone_id="UTC")
    outside: list[str] = []
    page.on("request", lambda r: outside.append(r.url)
            if not r.url.startswith(("http://127.0.0.1", "data:", "blob:")) else None)
    page.goto(url, wait_until="load")
    page.wait_for_selector(ready, timeout=60_000)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=60_000)
    time.sleep(settle_s)
    page.screenshot(path=str(out), full_page=True)
    if element is not None:
        page.locator(ready).first.screenshot(path=str(element))
    text = page.inner_text("body")
    page.close()
    assert not outside, f"requests to the web: {outside}"
    return text


def colour_pixels(png: Path, rgb: tuple[int, int, int], tol: int = 12) -> int:
    """Number of pixels within ``tol`` of the colour ``rgb``."""
    from PIL import Image

    img = Image.open(png).convert("RGB")
    return sum(n for n, c in img.getcolors(maxcolors=1 << 24) or []
               if all(abs(a - b) <= tol for a, b in zip(c, rgb, strict=True)))


def drawn_share(png: Path) -> float:
    """Share of pixels that differ from the image's most common colour (its background)."""
    from PIL import Image

    img = Image.open(png).convert("RGB")
    colours = img.getcolors(maxcolors=1 << 24) or []
    background = max(colours)[0]
    return 1 - background / (img.width * img.height)


@pytest.mark.browser
def test_map_page_screenshot(console_url, browser, artifacts_dir):
    """The map page draws the deck.gl canvas with no Python error on screen (warm-up shot first,
    since the first load after start-up can be blank)."""
    shoot(browser, f"{console_url}/", artifacts_dir / "console-map-warmup.png", DECK)
    out = artifacts_dir / "console-map.png"
    deck = artifacts_dir / "console-map-deck.png"
    text = shoot(browser, f"{console_url}/", out, DECK, element=deck)
    assert drawn_share(deck) > 0.01  # roads, routes, stops and vehicles, not an empty canvas
    assert colour_pixels(deck, (31, 119, 180)) > 300  # the first vehicle and its planned route
    assert colour_pixels(deck, (230, 30, 30)) > 20  # a pickup waiting (its window is open)
    assert "運行マップ" in text and "Traceback" not in text and "APIエラー" not in text
    assert "みつぎ1号" in text  # the vehicles table under the map


@pytest.mark.browser
def test_kpi_page_screenshot(console_url, browser, artifacts_dir):
    """The KPI page shows the indicators and its charts (Vega canvases) in Japanese."""
    out = artifacts_dir / "console-kpis.png"
    text = shoot(browser, f"{console_url}/kpis", out, "[data-testid='stMetric']")
    assert "輸送人員" in text and "定時率" in text and "Traceback" not in text
    assert out.stat().st_size > 30_000
