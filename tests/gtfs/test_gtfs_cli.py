"""``noriai gtfs`` commands: export, validate, import-connections, departures."""

from __future__ import annotations

import json
import zipfile

from dispatcher.cli import main
from gtfs.connection_feeds import SHIPPED_DIR


def test_export_writes_a_valid_feed_and_prints_the_summary(tmp_path, capsys):
    """`noriai gtfs export OUT.zip` writes the zip, lists the files and exits 0 when valid."""
    out = tmp_path / "mitsugi.zip"
    code = main(["gtfs", "export", str(out), "--start", "2026-12-01", "--days", "60"])
    text = capsys.readouterr().out
    assert code == 0, text
    assert "OK: 0 errors" in text and "booking_rules.txt" in text
    with zipfile.ZipFile(out) as zf:
        assert {"locations.geojson", "agency_jp.txt", "translations.txt"} <= set(zf.namelist())
    assert main(["gtfs", "validate", str(out), "--today", "2026-12-01"]) == 0


def test_validate_exits_nonzero_on_a_broken_feed(tmp_path, capsys):
    """`noriai gtfs validate` exits 1 on a feed with errors (here: the zone is missing)."""
    good = tmp_path / "good.zip"
    assert main(["gtfs", "export", str(good), "--start", "2026-12-01", "--days", "60"]) == 0
    broken = tmp_path / "broken.zip"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(broken, "w") as dst:
        for name in src.namelist():
            if name != "locations.geojson":
                dst.writestr(name, src.read(name))
    capsys.readouterr()
    assert main(["gtfs", "validate", str(broken), "--today", "2026-12-01"]) == 1
    assert "INVALID" in capsys.readouterr().out


def test_departures_command_lists_the_0829_run(capsys, tmp_path):
    """`noriai gtfs departures ichi_office --at ...` prints the 08:29 bus and its arrive-by time."""
    code = main(
        [
            "gtfs",
            "departures",
            "ichi_office",
            "--at",
            "2026-01-05T08:00:00+09:00",
            "--data-dir",
            str(tmp_path),
            "--json",
        ]
    )
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    first = out["departures"][0]
    assert first["trip_id"] == "1_1374_54_1_102181_20251229"
    assert first["departure"] == "2026-01-05T08:29:00+09:00"
    assert first["latest_dropoff"] == "2026-01-05T08:24:00+09:00"
    assert "3_1382_20251229" in out["unknown_services"]


def test_import_connections_command_stores_the_feed(tmp_path, capsys):
    """`noriai gtfs import-connections FEED.zip` stores the zip under the data dir."""
    src = tmp_path / "chugoku.zip"
    with zipfile.ZipFile(src, "w") as zf:
        for p in sorted((SHIPPED_DIR / "chugokubus").glob("*.txt")):
            zf.write(p, p.name)
    code = main(["gtfs", "import-connections", str(src), "--data-dir", str(tmp_path / "var")])
    assert code == 0
    assert (tmp_path / "var" / "gtfs" / "connections" / "chugoku" / "feed.zip").is_file()
    assert "imported chugoku" in capsys.readouterr().out
    assert main(["gtfs", "import-connections", str(tmp_path / "nope.zip")]) == 1
