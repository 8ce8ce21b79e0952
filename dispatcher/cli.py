"""The ``noriai`` command.

Each sub-command lives in the package that owns it and exposes ``main(argv) -> int``; this
module only dispatches, so that packages can grow their commands without touching each other.
The exception is ``noriai tickets`` (:func:`tickets_main`), a thin command over
:mod:`dispatcher.ticket_service` that lives here.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from datetime import UTC, datetime

#: sub-command -> (module, or "module:function" for another entry than ``main``; one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "routing": ("dispatcher.network_cli", "road network: summary, travel-time table, OSM import"),
    "serve": ("dispatcher.api.server", "start the booking API (SQLite by default, --db URL)"),
    "gtfs": ("gtfs.cli", "export the GTFS-Flex feed, import connecting feeds"),
    "demo": ("dispatcher.sim.demo", "run the service, apps and console on a simulated Mitsugi day"),
    "sim": ("dispatcher.sim.whatif", "what-if simulation of fleet size, hours and rules"),
    "tickets": ("dispatcher.cli:tickets_main",
                "e-ticket keys: list, rotate, new production secrets"),
}


def _usage() -> str:
    lines = ["usage: noriai COMMAND [ARGS...]", "", "commands:"]
    lines += [f"  {name:<9} {text}" for name, (_, text) in COMMANDS.items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the ``noriai`` command line; returns the process exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in {"-h", "--help", "help"}:
        print(_usage())
        return 0
    name, rest = args[0], args[1:]
    if name not in COMMANDS:
        print(f"noriai: unknown command {name!r}\n\n{_usage()}", file=sys.stderr)
        return 2
    module_name, _, entry = COMMANDS[name][0].partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name:
            raise
        print(f"noriai: '{name}' is not available in this build yet", file=sys.stderr)
        return 2
    return int(getattr(module, entry or "main")(rest) or 0)


# --- noriai tickets ---------------------------------------------------------------------------


def _tickets_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="noriai tickets", description=COMMANDS["tickets"][1])
    parser.add_argument("--db", default=None, help="database URL (default: NORIAI_DB or ./var)")
    sub = parser.add_subparsers(dest="cmd", required=True)
    sub.add_parser("keys", help="list the keyring")
    rot = sub.add_parser("rotate", help="add a signing key; old keys stay valid until their end")
    rot.add_argument("--starts-in-hours", type=float, default=24.0,
                     help="when the key starts signing (default 24 h: drivers sync it first)")
    rot.add_argument("--days", type=int, default=None, help="lifetime in days")
    rot.add_argument("--key-id", default=None)
    sub.add_parser("new-secrets", help="print a new NORIAI_TICKET_KEY and NORIAI_TICKET_CODE_KEY")
    return parser


def _iso(epoch_s: int) -> str:
    return datetime.fromtimestamp(epoch_s, tz=UTC).isoformat()


def tickets_main(argv: list[str] | None = None) -> int:
    """``noriai tickets``: list keys, rotate (add a key), or print new production secrets."""
    import time

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from dispatcher import tickets
    from dispatcher.services import load_service
    from dispatcher.settings import Settings
    from dispatcher.store.db import make_engine, migrate
    from dispatcher.ticket_service import TicketingConfigError, TicketService

    args = _tickets_parser().parse_args(argv)
    if args.cmd == "new-secrets":
        key = Ed25519PrivateKey.generate()
        print(f"NORIAI_TICKET_KEY={tickets.private_key_to_b64(key)}")
        print(f"NORIAI_TICKET_CODE_KEY={tickets.b64url_encode(tickets.new_code_key())}")
        return 0
    settings = Settings(**({"db": args.db} if args.db else {}))
    service = load_service(settings.service)
    db = make_engine(settings.db_url)
    migrate(db)
    try:
        t = TicketService.create(settings, service, db, lambda: int(time.time()))
    except TicketingConfigError as exc:
        print(f"noriai tickets: {exc}", file=sys.stderr)
        return 2
    if args.cmd == "rotate":
        start = int(time.time() + args.starts_in_hours * 3600)
        key, seed = t.add_key(valid_from_s=start, days=args.days, key_id=args.key_id)
        print(f"added key {key.key_id}: signs from {_iso(key.valid_from)} "
              f"until {_iso(key.valid_until)}")
        if seed is not None:
            print("production: append this private key to NORIAI_TICKET_KEY (keep the old ones "
                  f"until their end) and restart:\n{seed}")
    for kid, info in t.keyring().items():
        signs = "signing" if kid in t.signing_keys() else "verify-only"
        print(f"{kid}\t{_iso(info.valid_from)}\t{_iso(info.valid_until)}\t{signs}")
    db.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
