"""Deployment settings, read once at start-up from the environment (prefix ``NORIAI_``).

In production mode (``NORIAI_MODE=production``) the service refuses to start with a missing or
development secret; in development it generates a random one per process and says so.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET_PREFIX = "dev-"


class Settings(BaseSettings):
    """Everything a deployment chooses: database, secrets, service, clock, LINE channel."""

    model_config = SettingsConfigDict(env_prefix="NORIAI_", env_file=None, extra="ignore")

    mode: Literal["development", "production"] = "development"
    service: str = "mitsugi"
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
    # E-tickets (dispatcher.ticketing): in production the private signing key(s) (PEM or
    # base64url seeds) and the 32-byte short-code secret (base64); generated and stored in the
    # database in development. A new key's lifetime in days.
    ticket_key: str = ""
    ticket_code_key: str = ""
    ticket_key_days: int = 400

    @model_validator(mode="after")
    def _secrets(self) -> Settings:
        if self.mode == "production":
            weak = (not self.secret_key) or self.secret_key.startswith(DEV_SECRET_PREFIX)
            if weak or len(self.secret_key) < 32:
                raise ValueError(
                    "NORIAI_SECRET_KEY must be set to a random value of 32+ characters in production"
                )
            if not self.operator_password or len(self.operator_password) < 10:
                raise ValueError("NORIAI_OPERATOR_PASSWORD must be set (10+ characters) in production")
        elif not self.secret_key:
            self.secret_key = DEV_SECRET_PREFIX + secrets.token_urlsafe(32)
        return self

    @property
    def db_url(self) -> str:
        """SQLAlchemy URL: ``NORIAI_DB`` or a SQLite file under the data folder."""
        if self.db:
            return self.db
        return f"sqlite:///{(self.data_dir / 'noriai.db').as_posix()}"
