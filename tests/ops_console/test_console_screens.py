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
    env = {**os.environ, "NORIAI_API_URL": seeded.url}
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
    sign_in(page)
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


def open_page(browser, url: str, ready: str, height: int = 1000):
    """A page at ``url`` once ``ready`` (CSS) shows and the app is idle; requests that leave
    this machine are collected in ``page.outside``. Streamlit scrolls inside its own pane, so
    a whole page is shot with a window ``height`` tall enough for it."""
    page = browser.new_page(viewport={"width": 1400, "height": height}, locale="ja-JP",
                            timezone_id="UTC")
    page.outside = []
    page.on("request", lambda r: page.outside.append(r.url)
            if not r.url.startswith(("http://127.0.0.1", "data:", "blob:")) else None)
    page.goto(url, wait_until="load")
    sign_in(page)
    page.wait_for_selector(ready, timeout=60_000)
    idle(page)
    return page


def sign_in(page, login: str = "operator", password: str = "operator-dev") -> None:
    """Sign in on the console's sign-in form (every new browser page is a new session); the
    page asked for by the URL opens afterwards."""
    page.wait_for_selector("input[type='password']", timeout=60_000)
    page.get_by_label("ログインID").fill(login)
    page.get_by_label("パスワード").fill(password)
    page.get_by_role("button", name="ログイン").click()
    page.wait_for_selector("[data-testid='stSidebarNav']", timeout=60_000)
    # the sign-in form can linger for a moment while the page asked for draws (it is a form
    # too, so a test waiting for a form would read it)
    page.get_by_role("heading", name="運行管理コンソール　ログイン").wait_for(state="detached",
                                                                      timeout=60_000)


def idle(page, settle_s: float = 1.5) -> None:
    """Wait until Streamlit has finished running the script."""
    time.sleep(0.3)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=60_000)
    time.sleep(settle_s)


def finish(page, out: Path) -> str:
    """Screenshot the whole page to ``out``; the page's text; no request left the machine."""
    page.screenshot(path=str(out), full_page=True)
    text = page.inner_text("body")
    outside = page.outside
    page.close()
    assert not outside, f"requests to the web: {outside}"
    assert "Traceback" not in text and "APIエラー" not in text
    return text


@pytest.mark.browser
def test_whatif_page_opens_by_its_url_and_from_the_navigation(console_url, browser,
                                                              artifacts_dir):
    """/whatif shows the what-if page (not the map), and its link is in the navigation."""
    page = open_page(browser, f"{console_url}/whatif", "[data-testid='stForm']")
    assert page.locator("h1").first.inner_text() == "もしもシミュレーション"
    assert "車両数" in page.inner_text("[data-testid='stForm']")
    text = finish(page, artifacts_dir / "console-whatif.png")
    assert "運行マップ" in text  # the navigation lists the other pages too
    page = open_page(browser, f"{console_url}/", DECK)
    page.get_by_role("link", name="もしもシミュレーション").click()
    page.wait_for_selector("[data-testid='stForm']", timeout=60_000)
    assert page.url.endswith("/whatif")
    assert page.locator("h1").first.inner_text() == "もしもシミュレーション"
    page.close()


@pytest.mark.browser
def test_phone_lookup_fills_the_usual_trip_in_the_browser(console_url, browser, artifacts_dir):
    """On the phone-booking tab the operator types a number with hyphens, finds 鈴木 花子 with
    her usual trip, and one click fills in her name, phone, stops, time and party."""
    page = open_page(browser, f"{console_url}/bookings", "[data-testid='stTabs']", 1200)
    page.get_by_role("tab", name="電話予約").click()
    page.get_by_label("お客様を検索（電話番号・お名前のかな）").fill("0848-76-1002")
    page.get_by_role("button", name="検索", exact=True).click()
    page.get_by_text("いつもの便: 岩井堂 → 市出張所").wait_for(timeout=30_000)
    idle(page)
    page.get_by_role("button", name="このお客様で予約").click()
    page.get_by_text("鈴木 花子 様のいつもの便を入力しました").wait_for(timeout=30_000)
    idle(page)
    assert page.get_by_label("お名前", exact=True).input_value() == "鈴木 花子"
    assert page.get_by_label("電話番号", exact=True).input_value() == "0848761002"
    picked = [s.input_value() for s in page.locator("[data-testid='stSelectbox'] input").all()]
    time_value = page.locator("[data-testid='stTimeInput']").first.inner_text()
    finish(page, artifacts_dir / "console-phone-lookup.png")
    assert any("岩井堂（いわいどう）" in s for s in picked), picked
    assert any("市出張所（いちしゅっちょうじょ）" in s for s in picked), picked
    assert "09:10" in time_value.replace("\n", "").replace("\u2066", "").replace("\u2069", ""), time_value


@pytest.mark.browser
def test_cancel_asks_for_confirmation_in_the_browser(console_url, browser, artifacts_dir):
    """Choosing a booking and pressing 取消 shows what would be cancelled and asks; やめる
    leaves it as it was."""
    page = open_page(browser, f"{console_url}/bookings", "[data-testid='stTabs']", 1500)
    box = page.get_by_label("予約を選択")
    box.click()
    page.get_by_role("option", name="中村 和子").click()
    idle(page)
    page.get_by_role("button", name="取消", exact=True).click()
    page.get_by_text("この予約を取り消しますか？").wait_for(timeout=30_000)
    idle(page)
    text = page.inner_text("body")
    assert "中村 和子" in text and "下山田 → 市中" in text
    page.screenshot(path=str(artifacts_dir / "console-cancel-confirm.png"), full_page=True)
    page.get_by_role("button", name="やめる").click()
    idle(page)
    assert "この予約を取り消しますか？" not in page.inner_text("body")
    page.get_by_label("予約を選択").click()
    page.get_by_role("option", name="佐藤 一郎").click()
    idle(page)
    finish(page, artifacts_dir / "console-bookings.png")  # a driven trip's history


@pytest.mark.browser
def test_fleet_gantt_screenshot(console_url, browser, artifacts_dir):
    """The fleet page draws the day's timeline with the red line at now and the vehicles'
    names (checked in the chart's pixels: the now line's red is drawn)."""
    page = open_page(browser, f"{console_url}/fleet", "[data-testid='stVegaLiteChart']", 1300)
    chart = artifacts_dir / "console-fleet-gantt.png"
    page.locator("[data-testid='stVegaLiteChart']").first.screenshot(path=str(chart))
    text = finish(page, artifacts_dir / "console-fleet.png")
    assert colour_pixels(chart, (214, 39, 40), tol=10) > 100  # the now line
    assert colour_pixels(chart, (161, 217, 155), tol=8) > 50  # rides done this morning
    assert "みつぎ福祉車両" in text


@pytest.mark.browser
def test_map_alerts_and_vehicle_legend_screenshot(console_url, browser, artifacts_dir,
                                                  alert_events):
    """The live map shows the alerts panel (late pickup, late vehicle, no-show) above the map,
    and the legend names each vehicle in its colour."""
    page = open_page(browser, f"{console_url}/", DECK, 1500)
    deck = artifacts_dir / "console-map-alerts-deck.png"
    page.locator(DECK).first.screenshot(path=str(deck))
    text = finish(page, artifacts_dir / "console-map-alerts.png")
    assert "アラート（3）" in text and "山本 勇" in text and "田中 三枝" in text
    assert "みつぎ2号" in text and "10分の遅れ" in text
    assert colour_pixels(deck, (0, 150, 170)) > 100  # the third vehicle's marker, in teal
    assert colour_pixels(deck, (117, 56, 171)) > 30  # the second one's label, in purple


@pytest.mark.browser
def test_monthly_report_screenshot(console_url, browser, artifacts_dir):
    """The report built on the KPI page, downloaded as the operator would, reads in a browser:
    operating days, revenue, refusals, districts and stops."""
    page = open_page(browser, f"{console_url}/kpis", "[data-testid='stMetric']", 3000)
    page.get_by_role("button", name="報告書を作成").click()
    page.get_by_role("button", name="報告書（HTML・印刷用）").wait_for(timeout=60_000)
    idle(page)
    with page.expect_download() as download:
        page.get_by_role("button", name="報告書（HTML・印刷用）").click()
    html = Path(download.value.path()).read_text(encoding="utf-8")
    finish(page, artifacts_dir / "console-kpis-report.png")
    report = browser.new_page(viewport={"width": 1000, "height": 1400})
    report.set_content(html)
    report.screenshot(path=str(artifacts_dir / "console-report.png"), full_page=True)
    text = report.inner_text("body")
    report.close()
    for part in ("運行日ごとの利用", "運賃収入", "お断り理由", "地区別の利用", "乗り場別の利用",
                 "1/13（水）", "運行日 19日"):
        assert part in text, part


@pytest.mark.browser
def test_sign_in_then_accounts_in_the_browser(console_url, browser, artifacts_dir):
    """The console opens on the sign-in form only (no navigation); a wrong password is told;
    signed in, the sidebar names the account and its role, the supervisor's accounts page
    lists the staff, and signing out returns to the form."""
    page = browser.new_page(viewport={"width": 1400, "height": 900}, locale="ja-JP",
                            timezone_id="UTC")
    page.outside = []
    page.on("request", lambda r: page.outside.append(r.url)
            if not r.url.startswith(("http://127.0.0.1", "data:", "blob:")) else None)
    page.goto(f"{console_url}/accounts", wait_until="load")
    page.wait_for_selector("input[type='password']", timeout=60_000)
    idle(page)
    assert page.locator("[data-testid='stSidebarNav']").count() == 0
    page.screenshot(path=str(artifacts_dir / "console-sign-in.png"), full_page=True)
    page.get_by_label("ログインID").fill("operator")
    page.get_by_label("パスワード").fill("wrong-password")
    page.get_by_role("button", name="ログイン").click()
    page.wait_for_selector("text=ログインIDまたはパスワードが違います。", timeout=60_000)
    sign_in(page)
    page.wait_for_selector("[data-testid='stDataFrame']", timeout=60_000)
    idle(page)
    assert page.locator("h1").first.inner_text() == "アカウント"
    sidebar = page.inner_text("[data-testid='stSidebar']")
    assert "運行管理者" in sidebar and "スーパーバイザー" in sidebar and "パスワード変更" in sidebar
    page.screenshot(path=str(artifacts_dir / "console-accounts.png"), full_page=True)
    page.get_by_role("button", name="ログアウト").click()
    page.wait_for_selector("text=ログアウトしました。", timeout=60_000)
    assert page.locator("h1").first.inner_text() == "運行管理コンソール　ログイン"
    assert page.locator("[data-testid='stSidebarNav']").count() == 0
    assert not page.outside, page.outside
    page.close()
