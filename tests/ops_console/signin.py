"""Signing a console session in for tests: the session state the sign-in form leaves behind
(the account's own client), without typing into the form each time."""

from __future__ import annotations

import os
from functools import lru_cache

from streamlit.testing.v1 import AppTest

from ops_console.auth import SESSION_KEY
from ops_console.client import ApiClient, ApiConfig, sign_in

#: The seeded account of the console tests' API (a supervisor).
SUPERVISOR = ("operator", "operator-dev")


@lru_cache(maxsize=16)
def _client(url: str, login: str, password: str) -> ApiClient:
    return sign_in(url, login, password)


def signed_in(at: AppTest, login: str = SUPERVISOR[0], password: str = SUPERVISOR[1]) -> AppTest:
    """``at`` with a session signed in as ``login`` at the API of ``NORIAI_API_URL``."""
    at.session_state[SESSION_KEY] = _client(os.environ["NORIAI_API_URL"], login, password)
    return at


#: Where nothing listens: a session that cannot reach any API (pages show "cannot reach").
NOWHERE = "http://127.0.0.1:9"


def offline_session(at: AppTest, role: str = "supervisor") -> AppTest:
    """``at`` signed in as a ``role`` with no API behind it (for pages that need none, such as
    the what-if simulation, which runs here)."""
    at.session_state[SESSION_KEY] = ApiClient(
        ApiConfig(url=NOWHERE), token="offline",
        account={"user_id": "operator", "name": "運行管理者", "role": role, "login": "operator"})
    return at
