"""Streamlit glue shared by the pages: the session's signed-in API client, language, errors,
the clock."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import streamlit as st

from ops_console import auth
from ops_console.areas import area_label
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


def area_name(api: ApiClient, lg: str) -> str:
    """The name of the service area ``api`` works in (Japanese first; an example area says it
    is one); the service's own name for an API the deployment does not list."""
    area = auth.area_of(api)
    if area is not None:
        return area_label(area, lg)
    try:
        svc = service(api.config.url)
    except ApiError:
        return ""
    return " / ".join(n for n in (svc.get("name_ja", ""), svc.get("name_en", "")) if n)


def page(title_key: str) -> tuple[ApiClient, str]:
    """Start a page (signed in only): the service area it works in, its title; returns the
    client and the language."""
    lg = lang()
    api = client()
    name = area_name(api, lg)
    if name:
        st.caption(f"{tr('area', lg)}: {name}")
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
