"""`noriai routing` prints the summary and table; `noriai routing map` draws the network."""

from __future__ import annotations

from dispatcher.cli import main


def test_summary_prints_counts_area_and_table(mitsugi, data_dir, capsys):
    """The summary says approximate, gives nodes, edges, area and a table of at least five
    named Mitsugi stops plus the Onomichi transfer hubs."""
    assert main(["routing", "--data-dir", str(data_dir)]) == 0
    out = capsys.readouterr().out
    assert "APPROXIMATE" in out
    assert f"nodes: {mitsugi.node_count:,}" in out and f"edges: {mitsugi.edge_count:,}" in out
    assert "km²" in out and "from cache" in out
    for name in ("市出張所", "みつぎ総合病院入口", "クロスロードみつぎ", "御調高校前", "本村", "諸原", "尾道駅前"):
        assert name in out
    assert "[10]" in out


def test_map_writes_a_png(mitsugi, data_dir, tmp_path, capsys):
    """`noriai routing map OUT.png` writes a PNG image."""
    out = tmp_path / "map.png"
    assert main(["routing", "--data-dir", str(data_dir), "map", str(out)]) == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert out.stat().st_size > 10_000
