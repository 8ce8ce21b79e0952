"""The compact cache: used on the second load, invalidated by a new source or speed table."""

from __future__ import annotations

import shutil

import numpy as np

from routing.network import load_network
from routing.speeds import DEFAULT_SPEEDS_KPH
from routing.store import shipped_path


def test_second_load_uses_cache_without_osmnx(mitsugi, data_dir):
    """After the first build, loading reads the .npz (fast, same arrays) instead of rebuilding."""
    again = load_network("mitsugi", data_dir)
    assert again.info.from_cache
    assert again.info.cache_file == mitsugi.info.cache_file
    assert again.info.load_s < 0.5
    assert np.array_equal(again.arrays.time_s, mitsugi.arrays.time_s)
    assert np.array_equal(again.arrays.indices, mitsugi.arrays.indices)


def test_speed_table_change_rebuilds(mitsugi, tmp_path, monkeypatch):
    """A different speed table gives a different cache key and different times."""
    monkeypatch.setenv("NORIAI_CACHE_DIR", str(tmp_path / "shared-cache"))
    first = load_network("mitsugi", tmp_path)
    slower = {k: v / 2 for k, v in DEFAULT_SPEEDS_KPH.items()}
    other = load_network("mitsugi", tmp_path, table=slower)
    assert not other.info.from_cache
    assert other.info.cache_file != first.info.cache_file
    assert other.arrays.time_s.sum() > first.arrays.time_s.sum()


def test_source_change_rebuilds(tmp_path):
    """Editing the source file (here: an imported copy of the shipped one) invalidates the cache."""
    folder = tmp_path / "routing/mitsugi"
    folder.mkdir(parents=True)
    shutil.copy(shipped_path("mitsugi"), folder / "network.osm")
    (folder / "import.json").write_text('{"source_name": "copy.osm", "approximate": true}')
    first = load_network("mitsugi", tmp_path)
    assert load_network("mitsugi", tmp_path).info.from_cache
    text = (folder / "network.osm").read_text(encoding="utf-8")
    (folder / "network.osm").write_text(text.replace('v="tertiary"', 'v="residential"', 1), encoding="utf-8")
    second = load_network("mitsugi", tmp_path)
    assert not second.info.from_cache
    assert second.info.cache_file != first.info.cache_file
    assert len(list((folder / "cache").glob("*.npz"))) == 1
