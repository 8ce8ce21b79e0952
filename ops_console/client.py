"""HTTP client of the noriai API for the operations console (httpx; no Streamlit, no database).

The console is a client of the API only. Each person signs in with their own account
(:func:`sign_in`): the session's :class:`ApiClient` then holds that account's token, not its
password, so an expired or refused token means signing in again. A client made with a login and
password in its :class:`ApiConfig` (scripts, non-interactive use) signs in on first use and once
more when its token expires. Error bodies become :class:`ApiError` with the API's Japanese and
English messages.
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
    """Where the API is, and for non-interactive use the account to sign in with (the console
    itself leaves ``login``/``password`` empty: people sign in with their own account)."""

    url: str = DEFAULT_URL
    login: str = ""
    password: str = ""

    @classmethod
    def from_env(cls) -> ApiConfig:
        """Read ``NORIAI_API_URL`` (no credentials: there is no shared console password)."""
        return cls(url=os.environ.get("NORIAI_API_URL", DEFAULT_URL).rstrip("/"))


class ApiError(Exception):
    """The API refused a request (or could not be reached); carries ja/en messages."""

    def __init__(self, status: int, message_ja: str, message_en: str, code: str = "",
                 retry_after_s: int | None = None) -> None:
        super().__init__(message_en)
        self.status = status
        self.message_ja = message_ja
        self.message_en = message_en
        self.code = code
        self.retry_after_s = retry_after_s

    def message(self, lang: str) -> str:
        """The message in ``lang`` (``ja`` or ``en``)."""
        return self.message_ja if lang == "ja" else self.message_en


class NotAvailable(ApiError):
    """The API has no such endpoint (a feature of another release): shown as 未接続."""


class ApiClient:
    """A staff member's session with the API.

    Parameters
    ----------
    config
        URL, and credentials for non-interactive use (empty for a signed-in person).
    timeout_s
        Per-request timeout in seconds.
    token
        The access token of a signed-in account (see :func:`sign_in`).
    account
        Who that account is: ``user_id``, ``name``, ``role`` (and ``login``).
    """

    def __init__(self, config: ApiConfig, timeout_s: float = 15.0, *, token: str | None = None,
                 account: dict[str, Any] | None = None) -> None:
        self.config = config
        self._http = httpx.Client(base_url=config.url, timeout=timeout_s)
        self._token: str | None = token
        self._lock = threading.Lock()
        self.account: dict[str, Any] = dict(account or {})

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def _login(self) -> str:
        if not self.config.password:
            raise ApiError(401, "ログインの有効期限が切れました。もう一度ログインしてください。",
                           "Your session has ended; please sign in again.", "unauthorized")
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
            if r.status_code == 401 and auth and self.config.password:
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
            if not isinstance(body, dict):
                body = {}
            cls = NotAvailable if optional and r.status_code in (404, 405) else ApiError
            retry = r.headers.get("Retry-After", "")
            raise cls(r.status_code, str(body.get("message_ja") or body.get("message") or r.text),
                      str(body.get("message_en") or r.text), str(body.get("code", "")),
                      int(retry) if retry.isdigit() else None)
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

    def patch(self, path: str, body: Any) -> Any:
        """PATCH ``body`` as JSON to ``path``."""
        return self._send("PATCH", path, json=body)

    # --------------------------------------------------------------- the signed-in account

    def me(self) -> dict[str, Any]:
        """The signed-in account as it is now (``id``, ``name``, ``role``); also refreshes
        :attr:`account` (a role changed by a supervisor shows at once)."""
        me = dict(self.get("/api/v1/auth/me"))
        self.account.update(user_id=me["id"], name=me["name"], role=me["role"])
        return me

    def change_password(self, current_password: str, new_password: str) -> None:
        """Change the signed-in account's own password (204; the API explains a refusal)."""
        self.post("/api/v1/auth/password", {"current_password": current_password,
                                            "new_password": new_password}, optional=True)

    def accounts(self) -> list[dict[str, Any]]:
        """Staff accounts (supervisors only)."""
        return list(self.get("/api/v1/operator/accounts"))

    def create_account(self, login: str, name: str, role: str, password: str) -> dict[str, Any]:
        """Create an operator's or supervisor's account (supervisors only)."""
        return dict(self.post("/api/v1/operator/accounts", {"login": login, "name": name,
                                                            "role": role, "password": password}))

    def update_account(self, account_id: str, **changes: Any) -> dict[str, Any]:
        """Change ``name``, ``role`` or ``disabled`` of an account (supervisors only)."""
        return dict(self.patch(f"/api/v1/operator/accounts/{account_id}", changes))

    def reset_password(self, account_id: str, password: str) -> None:
        """Set another account's password (supervisors only)."""
        self.post(f"/api/v1/operator/accounts/{account_id}/password", {"password": password})

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

    def combined_feed_status(self) -> dict[str, Any]:
        """State of the deployment's combined feed of every area (public; raises NotAvailable
        on an API without it)."""
        return dict(self.get("/gtfs/combined/status", optional=True, auth=False))

    def export_feed(self) -> dict[str, Any]:
        """Re-export the GTFS feed (raises NotAvailable on an API without it)."""
        return dict(self.post("/api/v1/operator/gtfs/export", optional=True) or {})


#: Roles that may use the console.
STAFF_ROLES = ("operator", "supervisor")


def sign_in(url: str, login: str, password: str, timeout_s: float = 15.0) -> ApiClient:
    """Sign in at the API at ``url`` with a staff account; a client holding its token (never
    the password).

    Raises
    ------
    ApiError
        The API's refusal (wrong login or password: 401 ``unauthorized``; a disabled account:
        401 ``account_disabled``; too many attempts: 429), or 403 ``not_staff`` for an account
        that is not an operator's or a supervisor's.
    """
    api = ApiClient(ApiConfig(url=url.rstrip("/")), timeout_s)
    try:
        r = api._send("POST", "/api/v1/auth/login", auth=False,
                      json={"login": login.strip(), "password": password})
    except ApiError:
        api.close()
        raise
    if r.get("role") not in STAFF_ROLES:
        api.close()
        raise ApiError(403, "運行管理のアカウントではありません（運転手・利用者のアカウントでは使えません）",
                       "This is not an operations account (drivers and riders cannot use the "
                       "console).", "not_staff")
    api._token = str(r["access_token"])
    api.account = {"user_id": r["user_id"], "name": r.get("name", ""), "role": r["role"],
                   "login": login.strip()}
    return api
