"""Staff accounts as supervisors read them (pure: no Streamlit, no HTTP)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from ops_console.i18n import tr


def accounts_frame(accounts: Iterable[Mapping[str, Any]], tz: ZoneInfo,
                   lang: str = "ja") -> pd.DataFrame:
    """One row per account: login, name, role and state in words, the day it was made (local);
    no ids or secrets."""
    cols = [tr(k, lang) for k in ("login", "account_name", "account_role", "account_state",
                                  "account_created")]
    rows = [[a["login"], a["name"], tr(f"role_{a['role']}", lang),
             tr("account_disabled" if a["disabled"] else "account_enabled", lang),
             datetime.fromisoformat(str(a["created_at"])).astimezone(tz).strftime("%Y-%m-%d")]
            for a in accounts]
    return pd.DataFrame(rows, columns=cols)


def account_label(account: Mapping[str, Any], lang: str = "ja") -> str:
    """``name（login）`` with the role, and whether it is disabled."""
    role = tr(f"role_{account['role']}", lang)
    off = f"・{tr('account_disabled', lang)}" if account["disabled"] else ""
    if lang != "ja":
        off = f", {tr('account_disabled', lang)}" if account["disabled"] else ""
        return f"{account['name']} ({account['login']}, {role}{off})"
    return f"{account['name']}（{account['login']}・{role}{off}）"
