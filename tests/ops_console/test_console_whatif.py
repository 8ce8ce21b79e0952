"""The what-if page: reachable from the console's navigation (with the language switch), bad
hours refused with a message in the chosen language, and a real simulation compared with the
base in a table and charts."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.ops_console.signin import offline_session

CONSOLE = Path(__file__).resolve().parents[2] / "ops_console"


def whatif(lang: str = "ja") -> AppTest:
    """The what-if page opened through the console's entry script and navigation."""
    at = AppTest.from_file(str(CONSOLE / "app.py"), default_timeout=120)
    at.session_state["lang"] = lang
    offline_session(at)
    at.run()
    at.switch_page("views/whatif.py")
    return at.run()


def test_whatif_is_in_the_navigation():
    """The entry script lists the page (its URL is /whatif) and runs it with the language
    switch of the console around it."""
    from ops_console.app import PAGES

    assert "whatif" in PAGES and (CONSOLE / "views" / "whatif.py").is_file()
    assert not (CONSOLE / "pages").exists()  # an old-style pages/ folder hijacks page URLs
    at = whatif()
    assert not at.exception
    assert at.title[0].value == "もしもシミュレーション"
    assert at.sidebar.radio[0].value == "ja"  # the console's language switch is there
    assert len(at.number_input) == 4 and at.text_input(key="wi_hours").value == "08:00-17:00"


@pytest.mark.parametrize(("lang", "hours", "want"), [
    ("ja", "25:00-30:00", "開始を終了より前"), ("ja", "17:00-08:00", "開始を終了より前"),
    ("en", "8 to 5", "the start before the end"), ("en", "", "08:00-17:00")])
def test_whatif_refuses_bad_hours_clearly(lang, hours, want):
    """Hours that are no span of the day get a message in the chosen language, not a
    traceback, and nothing runs."""
    at = whatif(lang)
    at.text_input(key="wi_hours").input(hours)
    at.button[0].click().run()
    assert not at.exception
    assert any(want in e.value for e in at.error), [e.value for e in at.error]
    assert "wi_result" not in at.session_state


@pytest.mark.slow
def test_whatif_runs_and_compares_with_the_base():
    """Two vehicles instead of three over full-width hours: the simulated day of each is
    compared side by side, labelled in Japanese, with the charts (two simulated days, ~30 s)."""
    at = whatif()
    at.number_input(key="wi_fleet").set_value(2)
    at.text_input(key="wi_hours").input("０８：３０〜１６：３０")
    at.button[0].click().run(timeout=240)
    assert not at.exception and not at.error
    summary = at.session_state["wi_result"]
    assert [s["scenario"] for s in summary] == ["base", "variant"]
    assert summary[0]["requests"] > 10 and summary[1]["requests"] > 10
    table = at.dataframe[0].value.set_index("指標")
    assert list(table.columns) == ["基準（いまの設定）", "変更案"]
    assert table.loc["依頼", "基準（いまの設定）"] == str(int(summary[0]["requests"]))
    assert table.loc["相乗り率", "変更案"].endswith("%")
    assert at.get("vega_lite_chart"), "the comparison charts"
