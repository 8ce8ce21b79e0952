"""Shipped service configurations (one folder per service) and their loader."""

from __future__ import annotations

import csv
import tomllib
from functools import lru_cache
from pathlib import Path

from dispatcher.service_area import (
    ServiceArea,
    StopAlias,
    aliases_from_dict,
    service_from_dict,
    stops_from_rows,
)

SERVICES_DIR = Path(__file__).resolve().parent


def service_dir(name: str = "mitsugi") -> Path:
    """Folder of a shipped service's configuration."""
    path = SERVICES_DIR / name
    if not (path / "service.toml").is_file():
        raise FileNotFoundError(f"no service configuration named {name!r} under {SERVICES_DIR}")
    return path


def shipped_services() -> tuple[str, ...]:
    """Ids of the shipped services (folders holding ``service.toml``), sorted; some may be
    examples (``ServiceArea.example``), not real services."""
    return tuple(sorted(p.parent.name for p in SERVICES_DIR.glob("*/service.toml")))


def load_service_from(folder: Path) -> ServiceArea:
    """Read ``service.toml``, ``stops.csv`` and (if present) ``aliases.toml`` of a service folder."""
    with (folder / "service.toml").open("rb") as fh:
        conf = tomllib.load(fh)
    with (folder / "stops.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    stops = stops_from_rows(rows)
    aliases: tuple[StopAlias, ...] = ()
    if (folder / "aliases.toml").is_file():
        with (folder / "aliases.toml").open("rb") as fh:
            aliases = aliases_from_dict(tomllib.load(fh), stops)
    return service_from_dict(conf, stops, aliases)


@lru_cache(maxsize=8)
def load_service(name: str = "mitsugi") -> ServiceArea:
    """The shipped service ``name``, or the service folder at path ``name`` (one holding
    ``service.toml`` and ``stops.csv``); cached, the objects are immutable."""
    if "/" in name or "\\" in name:
        folder = Path(name)
        if not (folder / "service.toml").is_file():
            raise FileNotFoundError(f"no service.toml in {folder}")
        return load_service_from(folder)
    return load_service_from(service_dir(name))
