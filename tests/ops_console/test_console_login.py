"""Signing in to the console under AppTest against the real API: nothing shows before signing
in, a wrong password or a disabled account is told apart, the sidebar names who is signed in,
signing out ends the session, supervisors manage the accounts and operators do not see that
page; the password form (its API lives on another branch) is driven with a fake client."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from streamlit.testing.v1 import AppTest

from ops_console.auth import SESSION_KEY, refusal
from ops_console.client import ApiConfig, ApiError, NotAvailable
from tests.ops_console.seed import api
from tests.ops_console.signin import NOWHERE, SUPERVISOR, signed_in

CONSOLE = Path(__file__).resolve().parents[2] / "ops_console"
STRONG = "console-password-2027"


def console(lang: str = "ja") -> AppTest:
    """The console's entry script, run once, signed out."""
    at = AppTest.from_file(str(CONSOLE / "app.py"), default_timeout=60)
    at.session_state["lang"] = lang
    return at.run()


def sign_in(at: AppTest, login: str, password: str) -> AppTest:
    """Type a login and password into the form and submit it."""
    at.text_input(key="si_login").input(login)
    at.text_input(key="si_password").input(password)
    return at.button[0].click().run()


def sidebar_text(at: AppTest) -> str:
    """Everything written in the sidebar."""
    return " ".join(m.value for m in at.sidebar.markdown)


def no_exception(at: AppTest) -> None:
    """No Python exception on the page."""
    assert not at.exception, [e.value for e in at.exception]


@pytest.fixture(scope="module")
def staff(seeded) -> dict[str, dict[str, Any]]:
    """An operator's account and a disabled one, made through the API by the supervisor."""
    made = {}
    for login, name, disabled in (("kobayashi", "小林 恵", False), ("ito", "伊藤 誠", True)):
        made[login] = api(seeded, "POST", "/api/v1/operator/accounts",
                          json={"login": login, "name": name, "role": "operator",
                                "password": STRONG})
        if disabled:
            api(seeded, "PATCH", f"/api/v1/operator/accounts/{made[login]['id']}",
                json={"disabled": True})
    return made


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_nothing_shows_before_signing_in(console_env, lang):
    """Signed out, the console is the sign-in form only: no navigation, no page, no data."""
    at = console(lang)
    no_exception(at)
    assert at.title[0].value == ("運行管理コンソール　ログイン" if lang == "ja"
                                 else "Operations console — sign in")
    assert [t.label for t in at.text_input] == (["ログインID", "パスワード"] if lang == "ja"
                                                else ["Login", "Password"])
    assert at.text_input(key="si_password").proto.type == at.text_input(
        key="si_password").proto.PASSWORD
    assert not at.dataframe and not at.get("deck_gl_json_chart") and SESSION_KEY not in at.session_state


@pytest.mark.parametrize(("lang", "want"), [("ja", "ログインIDまたはパスワードが違います。"),
                                            ("en", "The login or password is wrong.")])
def test_a_wrong_password_is_told_and_keeps_the_console_closed(console_env, lang, want):
    """A wrong password (or an unknown login) gets one clear sentence in the chosen language;
    nothing else opens."""
    for login, password in (("operator", "not-the-password"), ("nobody", "whatever-it-is")):
        at = sign_in(console(lang), login, password)
        no_exception(at)
        assert [e.value for e in at.error] == [want]
        assert SESSION_KEY not in at.session_state and not at.get("deck_gl_json_chart")
    empty = sign_in(console(lang), "operator", "")
    assert [e.value for e in empty.error] == [
        "ログインIDとパスワードを入力してください。" if lang == "ja" else "Enter your login and password."]


def test_a_disabled_account_and_a_driver_are_told_why(console_env, staff):
    """The right password of a disabled account says it is disabled (not 'wrong password'); a
    driver's account is not an operations account."""
    at = sign_in(console(), "ito", STRONG)
    assert len(at.error) == 1 and "無効" in at.error[0].value and "違います" not in at.error[0].value
    at = sign_in(console(), "mitsugi-1", "driver-dev")
    assert [e.value for e in at.error] == [
        "運行管理のアカウントではありません（運転手・利用者のアカウントでは使えません）"]
    assert SESSION_KEY not in at.session_state


def test_too_many_attempts_are_told_with_the_wait():
    """A 429 from the API (its rate limit) reads as too many attempts, with the wait when the API
    gives it; other refusals keep the API's own words."""
    throttled = ApiError(429, "多すぎます", "too many", "rate_limited", retry_after_s=60)
    assert refusal(throttled, "ja") == (
        "ログインの試行が多すぎます。しばらく待ってからもう一度お試しください。（約60秒後に）")
    assert refusal(throttled, "en").endswith("(in about 60 s)")
    assert refusal(ApiError(429, "x", "y"), "en") == (
        "Too many sign-in attempts; wait a little and try again.")
    assert refusal(ApiError(0, "APIに接続できません", "cannot reach"), "ja") == "APIに接続できません"


def test_signing_in_opens_the_console_with_the_name_and_role(console_env, staff):
    """The operator's own password opens the map, the sidebar names 小林 恵 as an operator,
    and the session's client holds her token (her account, not the seeded one)."""
    at = sign_in(console(), "kobayashi", STRONG)
    no_exception(at)
    assert at.title[0].value == "運行マップ"
    assert "小林 恵" in sidebar_text(at) and "オペレーター" in sidebar_text(at)
    client = at.session_state[SESSION_KEY]
    assert client.config.password == "" and client.account["user_id"] == staff["kobayashi"]["id"]


def test_sign_out_ends_the_session(console_env, staff):
    """Signing out forgets the account and shows the sign-in form with a notice; the next run
    is signed out too."""
    at = sign_in(console(), "kobayashi", STRONG)
    at.sidebar.button(key="sign_out").click().run()
    no_exception(at)
    assert SESSION_KEY not in at.session_state
    assert at.title[0].value == "運行管理コンソール　ログイン"
    assert [i.value for i in at.info] == ["ログアウトしました。"]
    assert at.run().title[0].value == "運行管理コンソール　ログイン"


def test_operators_do_not_see_the_accounts_page(console_env, staff):
    """An operator reaches the password page but not the accounts page (it is not in her
    navigation); the accounts view run anyway shows the API's refusal, not the accounts."""
    at = sign_in(console(), "kobayashi", STRONG)
    assert at.switch_page("views/password.py").run().title[0].value == "パスワード変更"
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("views/accounts.py")  # not registered in her navigation
    no_exception(at)
    view = AppTest.from_file(str(CONSOLE / "views" / "accounts.py"), default_timeout=60)
    view.session_state[SESSION_KEY] = at.session_state[SESSION_KEY]
    view.run()
    no_exception(view)
    assert "権限がありません" in view.error[0].value and not view.dataframe


def test_a_supervisor_manages_accounts(console_env, staff):
    """The supervisor sees the accounts (no secrets), creates one, makes it a supervisor,
    disables it, resets another's password; the API has each change."""
    at = sign_in(console(), *SUPERVISOR)
    at.switch_page("views/accounts.py").run()
    no_exception(at)
    assert at.title[0].value == "アカウント"
    table = at.dataframe[0].value
    assert list(table.columns) == ["ログインID", "氏名", "役割", "状態", "作成日"]
    rows = {r[0]: r for r in table.to_numpy().tolist()}
    assert rows["operator"][2:4] == ["スーパーバイザー", "有効"]
    assert rows["ito"][3] == "無効" and "hash" not in " ".join(map(str, table.to_numpy().ravel()))

    at.text_input(key="acc_login").input("yoshida")
    at.text_input(key="acc_name").input("吉田 直子")
    at.text_input(key="acc_password").input("short")
    at.button(key="FormSubmitter:acc_new-作成").click().run()
    assert any("12文字以上" in e.value for e in at.error), [e.value for e in at.error]
    at.text_input(key="acc_login").input("yoshida")
    at.text_input(key="acc_name").input("吉田 直子")
    at.text_input(key="acc_password").input(STRONG)
    at.button(key="FormSubmitter:acc_new-作成").click().run()
    no_exception(at)
    assert [s.value for s in at.success] == ["アカウント「yoshida」を作成しました。"]
    made = next(a for a in api(console_env, "GET", "/api/v1/operator/accounts")
                if a["login"] == "yoshida")

    at.selectbox(key="acc_pick").select(made["id"]).run()
    at.selectbox(key=f"acc_edit_role_{made['id']}").select("supervisor")
    at.button(key="FormSubmitter:acc_change-変更を保存").click().run()
    assert [s.value for s in at.success] == ["変更を保存しました。"]
    at.button(key="acc_toggle").click().run()
    assert [s.value for s in at.success] == ["アカウントを無効にしました。"]
    now = next(a for a in api(console_env, "GET", "/api/v1/operator/accounts")
               if a["login"] == "yoshida")
    assert (now["role"], now["disabled"]) == ("supervisor", True)

    at.selectbox(key="acc_pick").select(staff["kobayashi"]["id"]).run()
    at.text_input(key="acc_new_password").input("kobayashi-new-2027")
    at.button(key="FormSubmitter:acc_reset-再設定").click().run()
    assert [s.value for s in at.success] == ["パスワードを再設定しました。本人に伝えてください。"]
    r = httpx.post(f"{console_env.url}/api/v1/auth/login",
                   json={"login": "kobayashi", "password": "kobayashi-new-2027"})
    assert r.status_code == 200
    r = httpx.post(f"{console_env.url}/api/v1/operator/accounts/{staff['kobayashi']['id']}/password",
                   json={"password": STRONG}, headers=console_env.operator)
    assert r.status_code == 204


def test_the_last_supervisor_refusal_is_shown(console_env, staff):
    """Disabling the only active supervisor (oneself) is refused with the API's explanation."""
    at = signed_in(AppTest.from_file(str(CONSOLE / "views" / "accounts.py"), default_timeout=60))
    at.session_state["lang"] = "en"
    at.run()
    at.selectbox(key="acc_pick").select("operator").run()
    assert [i.value for i in at.info] == ["Change your own password on 'Change password'."]
    at.button(key="acc_toggle").click().run()
    no_exception(at)
    assert any("last active supervisor" in e.value for e in at.error), [e.value for e in at.error]


class FakeApi:
    """A signed-in client whose password change answers as the API on the security branch will
    (204, or a 4xx with the API's words); records the calls."""

    def __init__(self, refuse: ApiError | None = None) -> None:
        self.config = ApiConfig(url=NOWHERE)  # no API behind it: the page names no area
        self.account = {"user_id": "op-1", "name": "小林 恵", "role": "operator"}
        self.refuse = refuse
        self.calls: list[tuple[str, str]] = []

    def change_password(self, current_password: str, new_password: str) -> None:
        self.calls.append((current_password, new_password))
        if self.refuse is not None:
            raise self.refuse


def password_page(fake: FakeApi, lang: str = "ja") -> AppTest:
    """The password page with ``fake`` as the session's client."""
    at = AppTest.from_file(str(CONSOLE / "views" / "password.py"), default_timeout=30)
    at.session_state["lang"] = lang
    at.session_state[SESSION_KEY] = fake
    return at.run()


def change(at: AppTest, current: str, new: str, again: str) -> AppTest:
    """Fill in and submit the password form."""
    at.text_input(key="pw_current").input(current)
    at.text_input(key="pw_new").input(new)
    at.text_input(key="pw_again").input(again)
    return at.button[0].click().run()


def test_password_change_calls_the_api_and_says_so():
    """The current and new password go to the API once; the session is then signed out with
    the news (the account's sessions end with the old password)."""
    fake = FakeApi()
    at = change(password_page(fake), "old-password-1", "new-password-2027", "new-password-2027")
    no_exception(at)
    assert fake.calls == [("old-password-1", "new-password-2027")]
    assert SESSION_KEY not in at.session_state
    assert [i.value for i in at.info] == ["パスワードを変更しました。新しいパスワードでログインしてください。"]


def test_password_change_through_the_real_api(console_env, seeded):
    """Signed in as a new operator, the password page changes the password at the API: the old
    one no longer signs in, the new one does, and the old session's token is void."""
    api(seeded, "POST", "/api/v1/operator/accounts",
        json={"login": "nakamura", "name": "中村 彩", "role": "operator", "password": STRONG})
    at = sign_in(console(), "nakamura", STRONG)
    old = at.session_state[SESSION_KEY]
    old_token, url = old._token, old.config.url
    at.switch_page("views/password.py").run()
    new = "harbour-lantern-4711"
    at = change(at, STRONG, new, new)
    no_exception(at)
    assert SESSION_KEY not in at.session_state
    gone = httpx.get(f"{url}/api/v1/auth/me", headers={"Authorization": f"Bearer {old_token}"})
    assert gone.status_code == 401
    assert SESSION_KEY not in sign_in(console(), "nakamura", STRONG).session_state
    assert SESSION_KEY in sign_in(console(), "nakamura", new).session_state


@pytest.mark.parametrize(("lang", "refuse", "want"), [
    ("ja", ApiError(401, "現在のパスワードが違います", "the current password is wrong"),
     "現在のパスワードが違います"),
    ("en", ApiError(422, "12文字以上", "the new password must have at least 12 characters"),
     "at least 12 characters"),
    ("ja", NotAvailable(404, "見つかりません", "Not found"), "まだパスワードを変更できません")])
def test_password_change_refusals_show_the_apis_words(lang, refuse, want):
    """A 4xx shows the API's message in the chosen language; an API without the endpoint says
    so instead of a raw 404."""
    fake = FakeApi(refuse)
    at = change(password_page(fake, lang), "old-password-1", "new-password-2027",
                "new-password-2027")
    no_exception(at)
    assert any(want in e.value for e in at.error), [e.value for e in at.error]
    assert not at.success


def test_password_mismatch_is_caught_before_the_api():
    """A confirmation that differs is told on the page; the API is not called."""
    fake = FakeApi()
    at = change(password_page(fake), "old-password-1", "new-password-2027", "new-password-2028")
    assert [e.value for e in at.error] == ["新しいパスワードが確認用と一致しません。"]
    assert fake.calls == []


def test_the_history_names_the_operator_who_cancelled(console_env, staff):
    """Signed in as 小林 恵, an operator cancels a booking on the bookings page: the API's log
    has her account as the actor, and the booking's history names her (not the seeded
    account)."""
    target = next(b for b in api(console_env, "GET", "/api/v1/operator/bookings",
                                 params={"status": "confirmed"}))
    at = sign_in(console(), "kobayashi", STRONG)
    at.switch_page("views/bookings.py").run()
    at.selectbox(key="sel_booking").select(target["id"]).run()
    at.button(key="act_cancel").click().run()
    at.button(key="confirm_yes").click().run()
    no_exception(at)
    events = api(console_env, "GET", f"/api/v1/operator/bookings/{target['id']}/events")
    cancelled = next(e for e in events if e["type"] == "cancelled")
    assert (cancelled["actor_id"], cancelled["actor_login"]) == (staff["kobayashi"]["id"],
                                                                 "kobayashi")
    at.selectbox(key="sel_booking").select(target["id"]).run()
    history = at.dataframe[1].value
    rows = history[history["出来事"] == "取消"]
    assert list(rows["操作者"]) == ["小林 恵"], history.to_dict("records")
