"""Where networks live: the shipped extract, an imported one, and the compact cache (.npz).

Layout under the data folder (``--data-dir``, else ``$NORIAI_DATA_DIR``, else ``./var``)::

    routing/<service>/network.osm    an imported extract, already filtered and clipped
    routing/<service>/import.json    what was imported, from where, with which clip
    routing/<service>/cache/<key>.npz the CSR arrays built from the current source

An imported network takes precedence over the shipped one (``routing/data/<service>.osm``).
The cache key hashes the source file's bytes, the speed table, the clip area and the format
version, so changing any of them rebuilds; loading a cache needs numpy only.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from routing.clip import ClipArea
from routing.roads import RoadArrays

#: Version of the cache layout; bump when the arrays or their meaning change.
FORMAT_VERSION = 1
#: Default margin (m) around the service zone: reaches the transfer hubs of Onomichi
#: (尾道駅前, 新尾道駅), about 7 km south of the Mitsugi zone.
DEFAULT_MARGIN_M = 8000.0
SHIPPED_DIR = Path(__file__).resolve().parent / "data"
ENV_DATA_DIR = "NORIAI_DATA_DIR"
_ARRAY_FIELDS = ("osm_ids", "lat", "lon", "indptr", "indices", "time_s", "dist_m")


@dataclass(frozen=True, slots=True)
class NetworkSource:
    """The OSM file a service's network is built from, and how to read it."""

    service: str
    path: Path
    approximate: bool
    label: str
    clip: ClipArea | None


def data_dir(explicit: str | Path | None = None) -> Path:
    """The data folder: ``explicit``, else ``$NORIAI_DATA_DIR``, else ``./var``."""
    return Path(explicit or os.environ.get(ENV_DATA_DIR) or "var")


def service_dir(service: str, base: str | Path | None = None) -> Path:
    """Folder of a service's imported network and cache."""
    return data_dir(base) / "routing" / service


def shipped_path(service: str) -> Path:
    """The shipped OSM file of a service (may not exist for services without one)."""
    return SHIPPED_DIR / f"{service}.osm"


def shipped_clip(service: str) -> ClipArea | None:
    """The clip area shipped with a service's network (``routing/data/<service>.clip.json``:
    the service zone and a margin), or None when the file keeps every road."""
    path = SHIPPED_DIR / f"{service}.clip.json"
    if not path.is_file():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    polygon = tuple((float(lat), float(lon)) for lat, lon in data["polygon"])
    return ClipArea(polygon=polygon, margin_m=float(data.get("margin_m", DEFAULT_MARGIN_M)))


def read_import_record(service: str, base: str | Path | None = None) -> dict[str, Any] | None:
    """The record of the imported network of ``service``, or None if none was imported."""
    folder = service_dir(service, base)
    if not (folder / "network.osm").is_file() or not (folder / "import.json").is_file():
        return None
    return dict(json.loads((folder / "import.json").read_text(encoding="utf-8")))


def write_import_record(service: str, record: dict[str, Any], base: str | Path | None = None) -> None:
    """Write the import record (after network.osm has been written)."""
    path = service_dir(service, base) / "import.json"
    path.write_text(json.dumps(record, ensure_ascii=False, indent=2), encoding="utf-8")


def network_source(service: str, base: str | Path | None = None) -> NetworkSource:
    """The source of ``service``'s network: the imported extract if any, else the shipped one."""
    record = read_import_record(service, base)
    if record is not None:
        return NetworkSource(
            service=service,
            path=service_dir(service, base) / "network.osm",
            approximate=bool(record.get("approximate", False)),
            label=f"imported OSM extract {record.get('source_name', '?')}",
            clip=None,  # clipped at import
        )
    path = shipped_path(service)
    if not path.is_file():
        raise FileNotFoundError(
            f"no network for service {service!r}: import one with `noriai routing import FILE`"
        )
    return NetworkSource(
        service=service,
        path=path,
        approximate=True,
        label=f"shipped approximate network {path.name} (from bus stops and timetables)",
        clip=shipped_clip(service),
    )


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def cache_key(source_sha: str, speed_hash: str, clip: ClipArea | None) -> str:
    """Cache key of a network: source bytes, speed table, clip area and format version."""
    clip_blob = json.dumps(asdict(clip) if clip else None, sort_keys=True)
    blob = f"{source_sha}|{speed_hash}|{clip_blob}|v{FORMAT_VERSION}"
    return hashlib.sha256(blob.encode()).hexdigest()[:24]


def shared_cache_dir() -> Path:
    """Machine-wide cache of networks built from shipped files: ``$NORIAI_CACHE_DIR``, else
    ``$XDG_CACHE_HOME/noriai`` or ``~/.cache/noriai``. Keys hash the source bytes, so every data
    folder (and every test's temporary one) can share it safely."""
    explicit = os.environ.get("NORIAI_CACHE_DIR")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "noriai"


def cache_path(service: str, key: str, base: str | Path | None = None,
               shipped: bool = False) -> Path:
    """Where the cache of ``key`` lives (shipped sources: the shared cache folder)."""
    if shipped:
        return shared_cache_dir() / "routing" / service / f"{key}.npz"
    return service_dir(service, base) / "cache" / f"{key}.npz"


def save_cache(path: Path, arrays: RoadArrays, info: dict[str, Any], prune: bool = True) -> None:
    """Write arrays and info (JSON) to ``path`` atomically; ``prune`` removes older caches beside it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    with tmp.open("wb") as fh:
        np.savez(
            fh,
            info=np.array(json.dumps(info, ensure_ascii=False)),
            **{name: getattr(arrays, name) for name in _ARRAY_FIELDS},
        )
    tmp.replace(path)
    if not prune:
        return
    for old in path.parent.glob("*.npz"):
        if old != path:
            old.unlink(missing_ok=True)


def load_cache(path: Path) -> tuple[RoadArrays, dict[str, Any]] | None:
    """Arrays and info from a cache file, or None if it is missing or unreadable."""
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = RoadArrays(**{name: npz[name] for name in _ARRAY_FIELDS})
            info = dict(json.loads(str(npz["info"])))
    except (OSError, ValueError, KeyError):
        return None
    return arrays, info
