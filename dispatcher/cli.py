"""The ``noriai`` command.

Each sub-command lives in the package that owns it and exposes ``main(argv) -> int``; this
module only dispatches, so that packages can grow their commands without touching each other.
"""

from __future__ import annotations

import importlib
import sys

#: sub-command -> (module, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "routing": ("dispatcher.network_cli", "road network: summary, travel-time table, OSM import"),
    "serve": ("dispatcher.api.server", "start the booking API (SQLite by default, --db URL)"),
    "gtfs": ("gtfs.cli", "export the GTFS-Flex feed, import connecting feeds"),
    "demo": ("dispatcher.sim.demo", "run the service, apps and console on a simulated Mitsugi day"),
    "sim": ("dispatcher.sim.whatif", "what-if simulation of fleet size, hours and rules"),
    "tickets": ("dispatcher.ticketing", "e-ticket keys: list, rotate, new production secrets"),
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
    module_name, _ = COMMANDS[name]
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name:
            raise
        print(f"noriai: '{name}' is not available in this build yet", file=sys.stderr)
        return 2
    return int(module.main(rest) or 0)


if __name__ == "__main__":
    raise SystemExit(main())
