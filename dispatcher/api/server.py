"""``noriai serve``: run the API (SQLite under ./var by default, ``--db URL`` for another)."""

from __future__ import annotations

import argparse
import logging

import uvicorn

from dispatcher.api.app import create_app
from dispatcher.settings import Settings


def build_parser() -> argparse.ArgumentParser:
    """Arguments of ``noriai serve``."""
    p = argparse.ArgumentParser(prog="noriai serve", description="Run the noriai API.")
    p.add_argument("--db", default=None,
                   help="SQLAlchemy URL (default: SQLite file var/noriai.db), e.g. "
                        "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--service", default=None, help="shipped service configuration (default mitsugi)")
    p.add_argument("--data-dir", default=None, help="folder for the SQLite file and imported data")
    p.add_argument("--clock-speed", type=float, default=None,
                   help="run an accelerated clock (e.g. 60 = one hour per minute) for demos")
    p.add_argument("--clock-start", default=None, help="ISO start of the accelerated clock")
    return p


def settings_from(args: argparse.Namespace) -> Settings:
    """Settings from the environment, overridden by command-line arguments."""
    overrides: dict[str, object] = {}
    for name in ("db", "service", "data_dir", "clock_speed", "clock_start"):
        value = getattr(args, name)
        if value is not None:
            overrides[name] = value
    return Settings(**overrides)  # type: ignore[arg-type]


def main(argv: list[str]) -> int:
    """Start the server and block until it stops."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = create_app(settings_from(args))
    uvicorn.run(app, host=args.host, port=args.port, log_level="info")
    return 0
