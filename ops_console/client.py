"""HTTP client of the noriai API for the operations console (httpx; no Streamlit, no database).

The console is a client of the API only. :class:`ApiClient` signs in as an operator on first
use, retries once with a fresh token when it expires, and turns error bodies into
:class:`ApiError` with the API's Japanese and English messages.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from typing import Any

import httpx

DEFAULT_URL = "http://127.0.0.1:8000"


@dataclass(frozen=True, slots=True)
class ApiConfig:
    """Where the API is and how the console signs in."""

    url: str = DEFAULT_URL
    login: str = "operator"
    password: str = "operator-dev"

    @classmethod
    def from_env(cls) -> ApiConfig:
        """Read ``NORIAI_API_URL``, ``NORIAI_OPERATOR_LOGIN`` and ``NORIAI_OPERATOR_PASSWORD``."""
        return cls(url=os.environ.get("NORIAI_API_URL", DEFAULT_URL).rstrip("/"),
                   login=os.environ.get("NORIAI_OPERATOR_LOGIN", "operator"),
                   password=os.environ.get("NORIAI_OPERATOR_PASSWORD", "operator-dev"))


class ApiError(Exception):
    """The API refused a request (or could not be reached); carries ja/en messages."""

    def __init__(self, status: int, message_ja: str, message_en: str, code: str = "") -> None:
        super().__init__(message_en)
        self.status = status
        self.message_ja = message_ja
        self.message_en = message_en
        self.code = code

    def message(self, lang: str) -> str:
        """The message in ``lang`` (``ja`` or ``en``)."""
        return self.message_ja if lang == "ja" else self.message_en


class NotAvailable(ApiError):
    """The API has no such endpoint (a feature of another release): shown as 未接続."""


class ApiClient:
    """An operator's session with the API.

    Parameters
    ----------
    config
        URL and credentials.
    timeout_s
        Per-request timeout in seconds.
    """

    def __init__(self, config: ApiConfig, timeout_s: float = 15.0) -> None:
        self.config = config
        self._http = httpx.Client(base_url=config.url, timeout=timeout_s)
        self._token: str | None = None
        self._lock = threading.Lock()

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def _login(self) -> str:
        r = self._send("POST", "/api/v1/auth/login", auth=False,
                       json={"login": self.config.login, "password": self.config.password})
        token = str(r["access_token"])
        self._token = token
        return token

    def _headers(self, auth: bool) -> dict[str, str]:
        if not auth:
            return {}
        with self._lock:
            token = self._token or self._login()
        return {"Authorization": f"Bearer {token}"}

    def _send(self, method: str, path: str, *, auth: bool = True, optional: bool = False,
              params: dict[str, Any] | None = None, json: Any = None,
              headers: dict[str, str] | None = None) -> Any:
        try:
            r = self._http.request(method, path, params=params, json=json,
                                   headers={**self._headers(auth), **(headers or {})})
            if r.status_code == 401 and auth:
                self._token = None
                r = self._http.request(method, path, params=params, json=json,
                                       headers={**self._headers(auth), **(headers or {})})
        except httpx.HTTPError as exc:
            raise ApiError(0, f"APIに接続できません（{self.config.url}）",
                           f"cannot reach the API at {self.config.url}: {exc}") from exc
        if r.status_code >= 400:
            try:
                body = r.json()
            except ValueError:
                body = {}
            cls = NotAvailable if optional and r.status_code in (404, 405) else ApiError
            raise cls(r.status_code, str(body.get("message_ja") or body.get("message") or r.text),
                      str(body.get("message_en") or r.text), str(body.get("code", "")))
        if r.status_code == 204 or not r.content:
            return None
        return r.json()

    def get(self, path: str, *, optional: bool = False, auth: bool = True, **params: Any) -> Any:
        """GET ``path`` with query ``params`` (None values dropped)."""
        return self._send("GET", path, auth=auth, optional=optional,
                          params={k: v for k, v in params.items() if v is not None and v != ""})

    def post(self, path: str, body: Any = None, *, optional: bool = False,
             headers: dict[str, str] | None = None, **params: Any) -> Any:
        """POST ``body`` as JSON to ``path``."""
        return self._send("POST", path, optional=optional, json=body, headers=headers,
                          params={k: v for k, v in params.items() if v is not None} or None)

    # --------------------------------------------------------------- the API, by name

    def health(self) -> dict[str, Any]:
        """``/health``: status and the service's clock (``now``, epoch s)."""
        return dict(self.get("/health", auth=False))

    def service(self) -> dict[str, Any]:
        """The service description."""
        return dict(self.get("/api/v1/service", auth=False))

    def stops(self) -> list[dict[str, Any]]:
        """The service's stops."""
        return list(self.get("/api/v1/stops", auth=False))

    def roads(self) -> dict[str, Any]:
        """Road polylines ``{"lines": [[[lat, lon], ...], ...], "approximate": bool}`` for the
        base map, read from the public GeoJSON layer ``/api/v1/map/roads``."""
        body = dict(self.get("/api/v1/map/roads", auth=False))
        geom = body.get("geometry", {})
        lines = [[[c[1], c[0]] for c in part] for part in geom.get("coordinates", [])]
        return {"lines": lines,
                "approximate": bool(body.get("properties", {}).get("approximate", False))}

    def routes(self, day: str | None = None) -> list[dict[str, Any]]:
        """Planned routes along the roads, per vehicle."""
        return list(self.get("/api/v1/operator/map/routes", day=day))

    def vehicles(self) -> list[dict[str, Any]]:
        """Vehicles with position and who is on board."""
        return list(self.get("/api/v1/operator/vehicles"))

    def drivers(self) -> list[dict[str, Any]]:
        """Driver accounts."""
        return list(self.get("/api/v1/operator/drivers"))

    def shifts(self, day: str) -> list[dict[str, Any]]:
        """Shifts of a day."""
        return list(self.get("/api/v1/operator/shifts", day=day))

    def plans(self, day: str | None = None) -> list[dict[str, Any]]:
        """Every vehicle's manifest for a day."""
        return list(self.get("/api/v1/operator/plans", day=day))

    def bookings(self, *, day: str | None = None, status: str | None = None,
                 vehicle_id: str | None = None, rider: str | None = None) -> list[dict[str, Any]]:
        """Bookings with filters."""
        return list(self.get("/api/v1/operator/bookings", day=day, status=status,
                             vehicle_id=vehicle_id, rider=rider))

    def booking_events(self, booking_id: str) -> list[dict[str, Any]]:
        """A booking's event history."""
        return list(self.get(f"/api/v1/operator/bookings/{booking_id}/events"))

    def events(self, after_id: int = 0, limit: int = 5000, type: str | None = None,
               day: str | None = None) -> list[dict[str, Any]]:
        """The event log after ``after_id`` (``type``: one type or several, comma-separated;
        ``day``: of that local day only)."""
        return list(self.get("/api/v1/operator/events", after_id=after_id, limit=limit, type=type,
                             day=day))

    def find_riders(self, q: str, limit: int = 10) -> list[dict[str, Any]]:
        """Riders matching a phone number or a name (kana), each with their usual trip."""
        return list(self.get("/api/v1/operator/riders", q=q, limit=limit))

    def phone_offers(self, trip: dict[str, Any]) -> dict[str, Any]:
        """Offers for a caller (``trip`` includes ``caller``)."""
        return dict(self.post("/api/v1/operator/offers", trip))

    def phone_book(self, offer_id: str, caller: dict[str, Any], key: str) -> dict[str, Any]:
        """Book an offer for a caller (idempotent on ``key``)."""
        return dict(self.post("/api/v1/operator/bookings", {"offer_id": offer_id, "caller": caller},
                              headers={"Idempotency-Key": key}))

    def cancel(self, booking_id: str) -> dict[str, Any]:
        """Cancel a booking."""
        return dict(self.post(f"/api/v1/operator/bookings/{booking_id}/cancel"))

    def no_show(self, booking_id: str) -> dict[str, Any]:
        """Record a no-show."""
        return dict(self.post(f"/api/v1/operator/bookings/{booking_id}/no-show"))

    def move(self, booking_id: str, vehicle_id: str) -> dict[str, Any]:
        """Move a booking to another vehicle."""
        return dict(self.post(f"/api/v1/operator/bookings/{booking_id}/move",
                              {"vehicle_id": vehicle_id}))

    def kpis(self, start: str, end: str | None = None, *, per_day: bool = False) -> dict[str, Any]:
        """Indicators of a day or range (with ``per_day``: also each operating day's)."""
        return dict(self.get("/api/v1/operator/kpis", start=start, end=end or start,
                             per_day="true" if per_day else None))

    def feed_status(self) -> dict[str, Any]:
        """State of the published GTFS feed (raises NotAvailable on an API without it)."""
        return dict(self.get("/gtfs/status", optional=True))

    def export_feed(self) -> dict[str, Any]:
        """Re-export the GTFS feed (raises NotAvailable on an API without it)."""
        return dict(self.post("/api/v1/operator/gtfs/export", optional=True) or {})
