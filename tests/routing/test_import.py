"""`noriai routing import` on the real OSM samples (ODbL) builds networks that agree with networkx."""

from __future__ import annotations

from pathlib import Path

import pytest
from routing_checks import assert_matches_networkx

from dispatcher.errors import InvalidInput
from dispatcher.network_cli import main
from routing.build import graph_from_osm
from routing.network import load_network
from routing.store import service_dir

SAMPLES = ["West-Oakland.osm.bz2", "planet_10.068_48.135_10.071_48.137.osm"]


@pytest.mark.parametrize("name", SAMPLES)
def test_import_sample_agrees_with_networkx(name, shared_data, tmp_path, capsys):
    """Importing a real extract (no clipping: the samples are not in Mitsugi) stores a network
    for the service that replaces the approximate one, and its matrix equals networkx's on the
    osmnx graph of the stored file."""
    sample = shared_data / "osm/samples" / name
    assert main(["--data-dir", str(tmp_path), "import", str(sample), "--no-clip"]) == 0
    assert "imported" in capsys.readouterr().out
    net = load_network("mitsugi", tmp_path)
    assert not net.approximate and net.info.from_cache
    assert net.node_count >= 10
    graph = graph_from_osm(service_dir("mitsugi", tmp_path) / "network.osm")
    assert_matches_networkx(net, graph, pairs=200, seed=1)
    assert main(["--data-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "real OSM extract" in out and "APPROXIMATE" not in out


def test_import_clips_to_bbox(shared_data, tmp_path):
    """--bbox keeps only the roads inside it: a smaller network whose nodes all lie inside."""
    sample = shared_data / "osm/samples/West-Oakland.osm.bz2"
    full = main(["--data-dir", str(tmp_path / "a"), "import", str(sample), "--no-clip"])
    half = main(["--data-dir", str(tmp_path / "b"), "import", str(sample),
                 "--bbox", "37.80615,-122.30258,37.80914,-122.3004"])
    assert full == half == 0
    big, small = load_network("mitsugi", tmp_path / "a"), load_network("mitsugi", tmp_path / "b")
    assert 0 < small.node_count < big.node_count
    assert (small.arrays.lon <= -122.3004).all()


def test_import_refuses_non_osm_files(tmp_path):
    """A file that is not an OSM extract is refused with a clear error, nothing is stored."""
    bad = tmp_path / "roads.csv"
    bad.write_text("a,b\n")
    with pytest.raises(InvalidInput):
        from routing.network import import_extract

        import_extract(bad, "mitsugi", tmp_path / "var")
    assert main(["--data-dir", str(tmp_path / "var"), "import", str(bad)]) == 1
    assert not (Path(tmp_path / "var") / "routing/mitsugi/network.osm").exists()


def test_import_pbf_gives_the_same_network(shared_data, tmp_path):
    """A .osm.pbf extract (here the West-Oakland sample rewritten as PBF by pyosmium) imports
    to the same network as its XML form."""
    import osmium

    sample = shared_data / "osm/samples/West-Oakland.osm.bz2"
    pbf = tmp_path / "west-oakland.osm.pbf"
    with osmium.SimpleWriter(str(pbf)) as writer:
        for obj in osmium.FileProcessor(str(sample)):
            writer.add(obj)
    assert main(["--data-dir", str(tmp_path / "x"), "import", str(sample), "--no-clip"]) == 0
    assert main(["--data-dir", str(tmp_path / "p"), "import", str(pbf), "--no-clip"]) == 0
    xml_net, pbf_net = load_network("mitsugi", tmp_path / "x"), load_network("mitsugi", tmp_path / "p")
    assert pbf_net.node_count == xml_net.node_count
    assert (pbf_net.arrays.time_s == xml_net.arrays.time_s).all()
