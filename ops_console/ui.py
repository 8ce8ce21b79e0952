"""Streamlit glue shared by the pages: the session's signed-in API client, language, errors,
the clock."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import streamlit as st

from ops_console import auth
from ops_console.client import ApiClient, ApiConfig, ApiError
from ops_console.i18n import tr


@st.cache_resource(show_spinner=False)
def _public(url: str) -> ApiClient:
    """A client without an account, for the API's public reads (service, stops, roads)."""
    return ApiClient(ApiConfig(url=url))


def client() -> ApiClient:
    """The API client of the account signed in to this session; without one, the sign-in form
    is shown instead of the page."""
    api = auth.current()
    if api is None:
        auth.sign_in_form(lang())
        st.stop()
    return api


def lang() -> str:
    """The chosen language (``ja`` unless English was picked)."""
    return "en" if st.session_state.get("lang") == "en" else "ja"


def page(title_key: str) -> tuple[ApiClient, str]:
    """Start a page (signed in only): its title; returns the client and the language."""
    lg = lang()
    api = client()
    st.title(tr(title_key, lg))
    return api, lg


def show_error(exc: ApiError, lg: str) -> None:
    """An API refusal as people read it; a refused token (expired, account disabled) ends the
    session: the next run asks to sign in again."""
    st.error(f"{tr('api_error', lg)} ({exc.status}): {exc.message(lg)}")
    if exc.status == 401:
        auth.sign_out(exc.message(lg))


@st.cache_data(ttl=600, show_spinner=False)
def service(url: str) -> dict[str, Any]:
    """The service description (cached)."""
    return _public(url).service()


@st.cache_data(ttl=600, show_spinner=False)
def stops(url: str) -> dict[str, dict[str, Any]]:
    """The stops by id (cached)."""
    return {s["id"]: s for s in _public(url).stops()}


@st.cache_data(ttl=600, show_spinner=False)
def stop_search(url: str, q: str) -> list[str]:
    """Ids of the stops whose name, English name or kana reading holds ``q`` (the API's
    search; cached per text)."""
    return [s["id"] for s in _public(url).get("/api/v1/stops", auth=False, q=q)]


@st.cache_data(ttl=3600, show_spinner=False)
def roads(url: str) -> dict[str, Any]:
    """The road polylines of the base map (cached)."""
    return _public(url).roads()


def clock(api: ApiClient) -> tuple[int, datetime]:
    """The service's "now": epoch s and the local time (the API's clock, not this machine's)."""
    now_s = int(api.health()["now"])
    tz = ZoneInfo(service(api.config.url)["timezone"])
    return now_s, datetime.fromtimestamp(now_s, tz=UTC).astimezone(tz)


def today(api: ApiClient) -> date:
    """The service day of now."""
    return clock(api)[1].date()
