"""Deployment settings, read once at start-up from the environment (prefix ``NORIAI_``).

In production mode (``NORIAI_MODE=production``) the service refuses to start with a missing,
development or weak credential: the token secret, every role's password and the ticket keys are
checked with :mod:`dispatcher.credentials`, and the error names the setting to fix. In
development a missing token secret is generated per process.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from dispatcher.credentials import key_bytes_weakness, password_weakness, secret_weakness

DEV_SECRET_PREFIX = "dev-"
#: Passwords of the accounts the service seeds in development (never accepted in production).
DEV_PASSWORDS = {"operator_password": "operator-dev", "driver_password": "driver-dev"}


#: Settings of the whole deployment, never of one service area (:meth:`Settings.for_area`).
_DEPLOYMENT_WIDE = frozenset({"mode", "service", "areas", "data_dir", "db", "secret_key",
                              "cors_origins", "public_docs", "hsts_max_age_s"})


class InsecureSettings(ValueError):
    """A production setting is missing, a development value or too weak."""


class Settings(BaseSettings):
    """Everything a deployment chooses: database, secrets, service, clock, LINE channel."""

    model_config = SettingsConfigDict(env_prefix="NORIAI_", env_file=None, extra="ignore")

    mode: Literal["development", "production"] = "development"
    service: str = "mitsugi"
    #: Further service areas served by the same deployment, comma-separated ids or folders
    #: (e.g. ``kinoshou``); each keeps its data apart (:func:`dispatcher.store.db.area_url`)
    #: and is reached under ``/a/<id>/``.
    areas: str = ""
    data_dir: Path = Path("var")
    db: str = ""
    secret_key: str = ""
    token_ttl_s: int = 12 * 3600
    operator_login: str = "operator"
    operator_password: str = ""
    driver_password: str = ""
    # Background re-optimisation: seconds between cycles and the solver's limit per cycle.
    reopt_interval_s: float = 30.0
    reopt_time_limit_s: float = 2.0
    # Standing orders: seconds between passes that book their days as they come due (0 = off).
    standing_interval_s: float = 300.0
    # Simulated clock for the demo: speed-up factor and start (ISO); 0 = the wall clock.
    clock_speed: float = 0.0
    clock_start: str = ""
    line_channel_secret: str = ""
    line_access_token: str = ""
    line_api_base: str = "https://api.line.me"
    cors_origins: list[str] = Field(default_factory=list)
    # E-tickets (dispatcher.ticket_service): in production the private signing key(s) (PEM or
    # base64url seeds) and the 32-byte short-code secret (base64); generated and stored in the
    # database in development. A new key's lifetime in days.
    ticket_key: str = ""
    ticket_code_key: str = ""
    ticket_key_days: int = 400
    # The OpenAPI document and its pages (/openapi.json, /docs, /redoc): None = served in
    # development only; true serves them in production too.
    public_docs: bool | None = None
    # Strict-Transport-Security max-age, sent on requests that came over HTTPS (directly or
    # through a trusted proxy's X-Forwarded-Proto); 0 = never.
    hsts_max_age_s: int = 365 * 86_400

    @model_validator(mode="after")
    def _secrets(self) -> Settings:
        if self.mode == "production":
            problems = production_problems(self)
            if problems:
                raise InsecureSettings(
                    "production refuses to start with these settings:\n  " + "\n  ".join(problems))
        elif not self.secret_key:
            self.secret_key = DEV_SECRET_PREFIX + secrets.token_urlsafe(32)
        return self

    def password_of(self, setting: str) -> str:
        """The password a seeded account gets from ``setting`` (its development default when
        unset; production never gets here with an unset one)."""
        return str(getattr(self, setting) or DEV_PASSWORDS[setting])

    @property
    def docs_enabled(self) -> bool:
        """Whether to serve the OpenAPI document and pages."""
        return self.mode != "production" if self.public_docs is None else self.public_docs

    @property
    def area_names(self) -> list[str]:
        """The service areas of the deployment, the first (``service``) first, each once."""
        out = [self.service]
        for name in self.areas.split(","):
            if name.strip() and name.strip() not in out:
                out.append(name.strip())
        return out

    def for_area(self, area: str) -> Settings:
        """The settings of one service area: these, with every ``NORIAI_<AREA>__<NAME>``
        variable of the environment in place of ``<NAME>`` (e.g.
        ``NORIAI_KINOSHOU__LINE_CHANNEL_SECRET``, ``NORIAI_KINOSHOU__TICKET_KEY``). The
        database, data folder, token secret, mode and area list are the deployment's own."""
        prefix = f"NORIAI_{area.upper()}__"
        overrides: dict[str, str] = {}
        for key, value in os.environ.items():
            if key.upper().startswith(prefix):
                name = key[len(prefix):].lower()
                if name in _DEPLOYMENT_WIDE:
                    raise InsecureSettings(f"{key}: {name} is set for the whole deployment, "
                                           "not per service area")
                if name not in Settings.model_fields:
                    raise InsecureSettings(f"{key}: no setting named {name}")
                overrides[name] = value
        if not overrides:
            return self
        return Settings(**{**self.model_dump(), **overrides})

    @property
    def db_url(self) -> str:
        """SQLAlchemy URL: ``NORIAI_DB`` or a SQLite file under the data folder."""
        if self.db:
            return self.db
        return f"sqlite:///{(self.data_dir / 'noriai.db').as_posix()}"


def production_problems(settings: Settings) -> list[str]:
    """Every missing, development or weak credential of a production deployment, each naming
    its environment variable (empty when all are fit)."""
    out: list[str] = []
    weak = secret_weakness(settings.secret_key) if settings.secret_key else None
    if not settings.secret_key:
        out.append("NORIAI_SECRET_KEY is not set (32+ random bytes, e.g. "
                   "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`)")
    elif weak:
        out.append(f"NORIAI_SECRET_KEY: {weak.en}")
    for setting in DEV_PASSWORDS:
        value = str(getattr(settings, setting))
        env = f"NORIAI_{setting.upper()}"
        if not value:
            out.append(f"{env} is not set (no development password in production)")
        elif (pw := password_weakness(value, names=(settings.operator_login,))) is not None:
            out.append(f"{env}: {pw.en}")
    if settings.operator_password and settings.operator_password == settings.driver_password:
        out.append("NORIAI_DRIVER_PASSWORD must differ from NORIAI_OPERATOR_PASSWORD")
    out += _ticket_key_problems(settings)
    return out


def _ticket_key_problems(settings: Settings) -> list[str]:
    from dispatcher.errors import InvalidInput
    from dispatcher.tickets import parse_code_key, parse_private_keys, private_key_to_b64

    # Missing ticket keys are refused when the ticket service starts (dispatcher.ticket_service).
    out: list[str] = []
    if settings.ticket_key:
        try:
            keys = parse_private_keys(settings.ticket_key)
        except (InvalidInput, ValueError) as exc:
            out.append(f"NORIAI_TICKET_KEY cannot be read: {exc}")
        else:
            import base64

            for k in keys:
                seed = private_key_to_b64(k)
                raw = base64.urlsafe_b64decode(seed + "=" * (-len(seed) % 4))
                if (kw := key_bytes_weakness(raw)) is not None:
                    out.append(f"NORIAI_TICKET_KEY: {kw.en}")
                    break
            if not keys:
                out.append("NORIAI_TICKET_KEY holds no key")
    if settings.ticket_code_key:
        try:
            code = parse_code_key(settings.ticket_code_key)
        except InvalidInput as exc:
            out.append(f"NORIAI_TICKET_CODE_KEY: {exc.message_en}")
        else:
            if (kw := key_bytes_weakness(code)) is not None:
                out.append(f"NORIAI_TICKET_CODE_KEY: {kw.en}")
    return out
