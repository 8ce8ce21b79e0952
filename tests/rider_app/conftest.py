"""Browser fixtures for the rider app: a live server on a seeded day (SQLite, test clock) and
Debian's chromium driven by Playwright, with an axe-core check of each screen."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from dispatcher.api.app import create_app
from dispatcher.settings import Settings
from dispatcher.units import at_local
from tests.api.conftest import DAY, TestClock
from tests.api.live import serve
from tests.driver_app.conftest import ToolingBrowser

AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--no-first-run"]
PHONE = {"width": 390, "height": 844}


@dataclass
class Live:
    """The running service: base URL, the clock the test moves, and the app."""

    url: str
    clock: TestClock
    app: Any


def call_api(live: Live, method: str, path: str, token: str | None = None, **kw: Any) -> Any:
    """Call the running service's API (``/api/v1`` + ``path``) as a bearer of ``token``; the
    call must succeed; its JSON (None when empty)."""
    headers = kw.pop("headers", {})
    if token:
        headers["Authorization"] = f"Bearer {token}"
    r = httpx.request(method, f"{live.url}/api/v1{path}", headers=headers, timeout=30, **kw)
    assert r.status_code < 300, r.text
    return r.json() if r.content else None


@pytest.fixture(scope="module")
def live(tmp_path_factory) -> Iterator[Live]:
    """The API and the rider app on a fresh SQLite file; now = 08:00 on the test day."""
    tmp = tmp_path_factory.mktemp("rider")
    clock = TestClock(at_local(DAY, time(8, 0)))
    settings = Settings(db=f"sqlite:///{tmp / 'noriai.db'}", data_dir=tmp, reopt_interval_s=0,
                        secret_key="t" * 40, operator_password="operator-test",
                        driver_password="driver-test")
    app = create_app(settings, clock=clock, background=False)
    with serve(app) as url:
        yield Live(url, clock, app)


@pytest.fixture(scope="module")
def browser(chromium_path) -> Iterator[Any]:
    """Headless Debian chromium."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path, args=LAUNCH_ARGS, headless=True)
        try:
            yield ToolingBrowser(b)
        finally:
            b.close()


@dataclass
class Screens:
    """Screenshots (tests/artifacts/rider-*.png) and axe-core findings of each screen visited."""

    folder: Path
    problems: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    seen: list[str] = field(default_factory=list)

    def check(self, page: Any, name: str) -> None:
        """Screenshot the screen and run axe-core (WCAG 2.1 A/AA rules) on it."""
        page.wait_for_timeout(150)
        page.screenshot(path=str(self.folder / f"rider-{name}.png"), full_page=True)
        if not page.evaluate("() => typeof window.axe !== 'undefined'"):
            page.add_script_tag(path=str(AXE))
        result = page.evaluate("""async () => {
            const r = await axe.run(document, {runOnly: {type: 'tag',
                values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}});
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
        }""")
        self.seen.append(name)
        bad = [v for v in result if v["impact"] in ("serious", "critical")]
        if bad:
            self.problems[name] = bad

    def assert_clean(self) -> None:
        """No serious or critical violation on any screen."""
        assert self.problems == {}, json.dumps(self.problems, ensure_ascii=False, indent=1)


@pytest.fixture
def screens(artifacts_dir) -> Screens:
    """Collector of screenshots and accessibility findings."""
    return Screens(artifacts_dir)
