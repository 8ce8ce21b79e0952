"""Where outside feeds live: the shipped partial ones and those an operator imports (I/O).

Imported feeds are kept as ``<data dir>/gtfs/connections/<name>/feed.zip`` with a
``meta.json`` (source file, SHA-256, row counts, import note). The data dir is
``NORIAI_DATA_DIR`` or ``./var``. An imported feed replaces a shipped one of the same name
(e.g. import the full 中国バス feed as ``chugokubus``).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path

from dispatcher.errors import InvalidInput
from gtfs.connections import Timetable, load_timetable

SHIPPED_DIR = Path(__file__).resolve().parent / "data"
SHIPPED = ("chugokubus", "onomichibus")
_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@dataclass(frozen=True, slots=True)
class ImportReport:
    """Where an imported feed was stored and what it holds."""

    name: str
    path: Path
    sha256: str
    counts: dict[str, int]
    replaced_shipped: bool


def data_dir(explicit: Path | None = None) -> Path:
    """The service's data folder: ``explicit``, else ``NORIAI_DATA_DIR``, else ``./var``."""
    if explicit is not None:
        return Path(explicit)
    return Path(os.environ.get("NORIAI_DATA_DIR", "var"))


def connections_dir(root: Path | None = None) -> Path:
    """Folder of imported outside feeds (``<data dir>/gtfs/connections``)."""
    return data_dir(root) / "gtfs" / "connections"


def feed_sources(root: Path | None = None) -> dict[str, Path]:
    """Every outside feed by name: shipped folders, overridden by imported zips."""
    sources = {name: SHIPPED_DIR / name for name in SHIPPED}
    folder = connections_dir(root)
    if folder.is_dir():
        for sub in sorted(folder.iterdir()):
            if (sub / "feed.zip").is_file():
                sources[sub.name] = sub / "feed.zip"
    return sources


def load_timetables(root: Path | None = None, names: tuple[str, ...] = ()) -> list[Timetable]:
    """Load the outside feeds (all, or those in ``names``) with gtfs-kit."""
    sources = feed_sources(root)
    chosen = names or tuple(sources)
    missing = [n for n in chosen if n not in sources]
    if missing:
        raise InvalidInput(
            f"接続フィードがありません: {', '.join(missing)}", f"no outside feed named {missing}"
        )
    return [load_timetable(sources[n], n) for n in chosen]


def import_feed(zip_path: Path, name: str | None = None, root: Path | None = None) -> ImportReport:
    """Check that a GTFS zip loads with gtfs-kit and has departures data, then store it.

    Parameters
    ----------
    zip_path
        The outside GTFS zip (e.g. the full 中国バス feed).
    name
        Name to store it under; defaults to the zip's stem. A shipped name replaces that feed.
    root
        Data dir (default ``NORIAI_DATA_DIR`` or ``./var``).
    """
    zip_path = Path(zip_path)
    if not zip_path.is_file() or not zipfile.is_zipfile(zip_path):
        raise InvalidInput(
            f"GTFS の zip ファイルではありません: {zip_path}", f"not a GTFS zip: {zip_path}"
        )
    name = name or zip_path.stem
    if not _NAME.match(name):
        raise InvalidInput(f"名前が不正です: {name}", f"feed name must match {_NAME.pattern}")
    tt = load_timetable(zip_path, name)
    counts = tt.counts()
    if not counts["stops"] or not counts["trips"] or not counts["stop_times"]:
        raise InvalidInput(
            "stops/trips/stop_times のないフィードは接続に使えません",
            f"feed lacks stops, trips or stop_times: {counts}",
        )
    dest = connections_dir(root) / name
    dest.mkdir(parents=True, exist_ok=True)
    tmp = dest / "feed.zip.tmp"
    shutil.copyfile(zip_path, tmp)
    tmp.replace(dest / "feed.zip")
    sha = hashlib.sha256((dest / "feed.zip").read_bytes()).hexdigest()
    meta = {"name": name, "source": zip_path.name, "sha256": sha, "counts": counts}
    meta["feed_info"] = tt.feed_info
    (dest / "meta.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1, sort_keys=True))
    return ImportReport(name, dest / "feed.zip", sha, counts, name in SHIPPED)
