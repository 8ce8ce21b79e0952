"""The building blocks of an in-memory GTFS feed: tables, the feed, the ids of a service's
parts, and the date format (pure)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from dispatcher.service_area import ServiceArea


@dataclass(frozen=True, slots=True)
class Table:
    """One GTFS text file: its column order and its rows (every value a string)."""

    columns: tuple[str, ...]
    rows: tuple[dict[str, str], ...]

    def __len__(self) -> int:
        """Number of rows."""
        return len(self.rows)

    def column(self, name: str) -> list[str]:
        """The values of one column, row by row."""
        return [r.get(name, "") for r in self.rows]


@dataclass(frozen=True, slots=True)
class FlexFeed:
    """A whole GTFS-Flex feed in memory: text tables by file name, and locations.geojson."""

    tables: dict[str, Table]
    locations: dict[str, Any] = field(default_factory=dict)

    def table(self, name: str) -> Table:
        """The table of file ``name`` (e.g. ``"stops.txt"``)."""
        return self.tables[name]


@dataclass(frozen=True, slots=True)
class FeedIds:
    """The ids the feed gives to the service's parts (derived from the service id)."""

    route: str
    zone: str
    stop_group: str
    service: str
    booking_rule: str
    fare_adult: str
    network: str

    @classmethod
    def of(cls, service: ServiceArea) -> FeedIds:
        """The ids used for ``service``."""
        sid = service.id
        return cls(
            route=f"{sid}_ondemand",
            zone=f"{sid}_zone",
            stop_group=f"{sid}_stops",
            service=f"{sid}_days",
            booking_rule=f"{sid}_booking",
            fare_adult=f"{sid}_adult",
            network=f"{sid}_network",
        )


def make_table(columns: tuple[str, ...], rows: list[dict[str, Any]]) -> Table:
    """A :class:`Table` whose rows hold exactly ``columns``, as strings."""
    out = []
    for r in rows:
        unknown = set(r) - set(columns)
        if unknown:
            raise ValueError(f"columns {sorted(unknown)} not declared")
        out.append({c: "" if r.get(c) is None else str(r.get(c, "")) for c in columns})
    return Table(columns, tuple(out))


def gtfs_date(day: date) -> str:
    return day.strftime("%Y%m%d")
