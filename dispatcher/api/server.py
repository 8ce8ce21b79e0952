"""``noriai serve``: run the API (SQLite under ./var by default, ``--db URL`` for another).

``--workers N`` runs N worker processes on one port (uvicorn's process manager); they share a
PostgreSQL database as :mod:`dispatcher.engine.workers` describes. Several ``noriai serve``
processes (or machines behind a proxy) on the same database work the same way.
"""

from __future__ import annotations

import argparse
import logging
import os
import secrets

import uvicorn
from fastapi import FastAPI

from dispatcher.api.app import create_app
from dispatcher.settings import DEV_SECRET_PREFIX, Settings

#: The command-line settings that become ``NORIAI_*`` variables for worker processes.
_FORWARDED = ("db", "service", "areas", "data_dir", "clock_speed", "clock_start")


def build_parser() -> argparse.ArgumentParser:
    """Arguments of ``noriai serve``."""
    p = argparse.ArgumentParser(prog="noriai serve", description="Run the noriai API.")
    p.add_argument("--db", default=None,
                   help="SQLAlchemy URL (default: SQLite file var/noriai.db), e.g. "
                        "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--service", default=None, help="shipped service configuration (default mitsugi)")
    p.add_argument("--area", dest="area_list", action="append", default=None, metavar="AREA",
                   help="a further service area served beside --service, under /a/AREA/ "
                        "(repeat for more; e.g. --area kinoshou)")
    p.add_argument("--data-dir", default=None, help="folder for the SQLite file and imported data")
    p.add_argument("--clock-speed", type=float, default=None,
                   help="run an accelerated clock (e.g. 60 = one hour per minute) for demos")
    p.add_argument("--clock-start", default=None, help="ISO start of the accelerated clock")
    p.add_argument("--workers", type=int, default=1,
                   help="worker processes on this port (several need PostgreSQL: --db URL)")
    return p


def settings_from(args: argparse.Namespace) -> Settings:
    """Settings from the environment, overridden by command-line arguments."""
    overrides: dict[str, object] = {}
    args.areas = ",".join(args.area_list) if args.area_list else None
    for name in _FORWARDED:
        value = getattr(args, name)
        if value is not None:
            overrides[name] = value
    return Settings(**overrides)  # type: ignore[arg-type]


def app_from_env() -> FastAPI:
    """The application of one worker process, configured by the ``NORIAI_*`` environment."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return create_app(Settings())


def main(argv: list[str]) -> int:
    """Start the server and block until it stops."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = settings_from(args)
    if args.workers <= 1:
        uvicorn.run(create_app(settings), host=args.host, port=args.port, log_level="info")
        return 0
    if not settings.db_url.startswith("postgresql"):
        raise SystemExit("noriai serve: --workers needs a PostgreSQL database (--db URL); "
                         "SQLite is the one-process default")
    # The workers are processes of their own: they read their settings from the environment,
    # and must agree on the token secret (a development secret is made once, here).
    for name in _FORWARDED:
        value = getattr(args, name)
        if value is not None:
            os.environ[f"NORIAI_{name.upper()}"] = str(value)
    if not os.environ.get("NORIAI_SECRET_KEY"):
        os.environ["NORIAI_SECRET_KEY"] = DEV_SECRET_PREFIX + secrets.token_urlsafe(32)
    uvicorn.run("dispatcher.api.server:app_from_env", factory=True, host=args.host,
                port=args.port, workers=args.workers, log_level="info")
    return 0
