"""The area an import keeps: a polygon grown by a margin, or a bbox (a plain value, no I/O)."""

from __future__ import annotations

from dataclasses import dataclass

from dispatcher.errors import InvalidInput


@dataclass(frozen=True, slots=True)
class ClipArea:
    """Where to keep roads: a (lat, lon) polygon grown by ``margin_m`` metres; None = keep all."""

    polygon: tuple[tuple[float, float], ...] | None
    margin_m: float = 0.0

    @classmethod
    def from_bbox(cls, south: float, west: float, north: float, east: float) -> ClipArea:
        """A clip area that is the bbox (degrees) itself, without margin."""
        if not (south < north and west < east):
            raise InvalidInput("範囲の指定が正しくありません", "bbox must be SOUTH,WEST,NORTH,EAST")
        return cls(((south, west), (south, east), (north, east), (north, west)), 0.0)
