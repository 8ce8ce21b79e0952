"""Streaming filter of an OSM extract: drivable ways inside a clip area, written as OSM XML.

Reads .osm, .osm.bz2 and .osm.pbf alike with pyosmium (no network access), keeps the ways a
car may use (the classes of osmnx's ``drive`` network, minus ways closed to motor vehicles),
cuts them to the nodes inside the clip area (a polygon plus a margin, or a bbox), and writes a
small OSM XML file that osmnx reads with ``graph_from_xml``. A large regional extract is thus
reduced before osmnx ever sees it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import quoteattr

import numpy as np
import osmium
import shapely
from shapely.geometry import Polygon

from dispatcher.errors import InvalidInput
from routing.clip import ClipArea
from routing.geo import project_xy

#: Highway classes of the drivable network (osmnx's ``drive`` network type).
DRIVABLE_HIGHWAYS = frozenset(
    {
        "motorway", "motorway_link", "trunk", "trunk_link", "primary", "primary_link",
        "secondary", "secondary_link", "tertiary", "tertiary_link", "unclassified",
        "residential", "living_street", "road", "busway",
    }
)
_CLOSED = {"access": {"no", "private"}, "motor_vehicle": {"no", "private"}, "motorcar": {"no", "private"}}
SUFFIXES = (".osm", ".osm.bz2", ".osm.pbf", ".pbf", ".osm.gz")


@dataclass(frozen=True, slots=True)
class FilterStats:
    """What the filter kept: ways and nodes written, ways read."""

    ways_read: int
    ways_kept: int
    nodes_kept: int


def is_drivable(tags: dict[str, str]) -> bool:
    """True if an OSM way with ``tags`` is a road open to cars."""
    if tags.get("highway") not in DRIVABLE_HIGHWAYS or tags.get("area") == "yes":
        return False
    return not any(tags.get(k) in bad for k, bad in _CLOSED.items())


def check_source(path: Path) -> None:
    """Refuse a missing file or one whose name is not an OSM extract format."""
    if not path.is_file():
        raise InvalidInput(f"ファイルがありません: {path}", f"no such file: {path}")
    if not path.name.lower().endswith(SUFFIXES):
        raise InvalidInput(
            f"OSM ファイル (.osm, .osm.bz2, .osm.pbf) ではありません: {path.name}",
            f"not an OSM extract (.osm, .osm.bz2, .osm.pbf): {path.name}",
        )


def _inside(clip: ClipArea | None, lats: np.ndarray, lons: np.ndarray) -> np.ndarray:
    if clip is None or clip.polygon is None:
        return np.ones(len(lats), dtype=bool)
    lat0 = sum(p[0] for p in clip.polygon) / len(clip.polygon)
    lon0 = sum(p[1] for p in clip.polygon) / len(clip.polygon)
    px, py = project_xy(
        np.array([p[0] for p in clip.polygon]), np.array([p[1] for p in clip.polygon]), lat0, lon0
    )
    area = Polygon(list(zip(px.tolist(), py.tolist(), strict=True)))
    if clip.margin_m > 0:
        area = area.buffer(clip.margin_m)
    x, y = project_xy(lats, lons, lat0, lon0)
    return shapely.contains_xy(area, x, y)


def filter_extract(src: Path, dst: Path, clip: ClipArea | None) -> FilterStats:
    """Write to ``dst`` (OSM XML) the drivable ways of ``src`` cut to the clip area.

    Parameters
    ----------
    src
        An OSM extract (.osm, .osm.bz2 or .osm.pbf).
    dst
        The OSM XML file to write.
    clip
        The area to keep; None keeps everything.

    Returns
    -------
    FilterStats
        Counts of ways read and ways and nodes written.
    """
    check_source(src)
    ways: list[tuple[int, dict[str, str], list[int], list[tuple[float, float]]]] = []
    read = 0
    for obj in osmium.FileProcessor(str(src)).with_locations():
        if not obj.is_way():
            continue
        read += 1
        tags = {t.k: t.v for t in obj.tags}
        if not is_drivable(tags):
            continue
        refs, locs = [], []
        for n in obj.nodes:
            if n.location.valid():
                refs.append(n.ref)
                locs.append((n.location.lat, n.location.lon))
        if len(refs) >= 2:
            ways.append((obj.id, tags, refs, locs))
    all_locs = np.array([p for w in ways for p in w[3]], dtype=float).reshape(-1, 2)
    inside = _inside(clip, all_locs[:, 0], all_locs[:, 1]) if len(all_locs) else np.zeros(0, bool)
    kept_ways: list[tuple[int, dict[str, str], list[int]]] = []
    nodes: dict[int, tuple[float, float]] = {}
    pos = 0
    for way_id, tags, refs, locs in ways:
        mask = inside[pos : pos + len(refs)]
        pos += len(refs)
        runs: list[list[int]] = [[]]
        for ref, loc, ok in zip(refs, locs, mask, strict=True):
            if ok:
                runs[-1].append(ref)
                nodes[ref] = loc
            elif runs[-1]:
                runs.append([])
        parts = [r for r in runs if len(r) >= 2]
        for i, part in enumerate(parts):
            # a way cut into several pieces keeps unique ids: id * 1000 + piece
            kept_ways.append((way_id if len(parts) == 1 else way_id * 1000 + i, tags, part))
    used = {r for _, _, part in kept_ways for r in part}
    _write_xml(dst, {k: v for k, v in nodes.items() if k in used}, kept_ways)
    return FilterStats(ways_read=read, ways_kept=len(kept_ways), nodes_kept=len(used))


def _write_xml(
    dst: Path,
    nodes: dict[int, tuple[float, float]],
    ways: Sequence[tuple[int, dict[str, str], list[int]]],
) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_name(dst.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        fh.write("<?xml version='1.0' encoding='UTF-8'?>\n")
        fh.write('<osm version="0.6" generator="noriai routing import (drivable, clipped)">\n')
        for nid in sorted(nodes):
            lat, lon = nodes[nid]
            if not (math.isfinite(lat) and math.isfinite(lon)):
                continue
            fh.write(f'  <node id="{nid}" version="1" lat="{lat:.7f}" lon="{lon:.7f}"/>\n')
        for wid, tags, refs in sorted(ways, key=lambda w: w[0]):
            fh.write(f'  <way id="{wid}" version="1">\n')
            fh.writelines(f'    <nd ref="{r}"/>\n' for r in refs)
            fh.writelines(
                f"    <tag k={quoteattr(k)} v={quoteattr(v)}/>\n" for k, v in sorted(tags.items())
            )
            fh.write("  </way>\n")
        fh.write("</osm>\n")
    tmp.replace(dst)
