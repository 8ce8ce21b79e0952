"""``noriai gtfs`` commands: export, validate, import-connections, departures."""

from __future__ import annotations

import json
import zipfile
from datetime import datetime

from dispatcher.cli import main
from dispatcher.services import load_service, service_dir
from dispatcher.units import TOKYO
from gtfs.connection_feeds import SHIPPED_DIR
from gtfs.feed import read_with_gtfs_kit, read_zip_tables


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


def test_export_combined_writes_every_area_under_scoped_ids(tmp_path, capsys):
    """`noriai gtfs export --combined OUT.zip --areas mitsugi,kinoshou` writes one valid feed
    (gtfs-analyzer: 0 errors; gtfs-kit reads it) holding both areas: every stop of each area
    under ``<area>:<id>``, every id scoped, no id twice, one feed_info row over the window."""
    out = tmp_path / "combined.zip"
    code = main(["gtfs", "export", "--combined", str(out), "--areas", "mitsugi,kinoshou",
                 "--start", "2027-01-01", "--days", "365"])
    text = capsys.readouterr().out
    assert code == 0, text
    assert "areas: mitsugi, kinoshou" in text and "OK: 0 errors" in text
    tables, locations = read_zip_tables(out)
    stops = [r["stop_id"] for r in tables["stops.txt"]]
    assert len(stops) == len(set(stops))
    for area in ("mitsugi", "kinoshou"):
        assert {f"{area}:{s.id}" for s in load_service(area).stops} <= set(stops)
    for name, key in (("routes.txt", "route_id"), ("trips.txt", "trip_id"),
                      ("booking_rules.txt", "booking_rule_id"), ("calendar.txt", "service_id")):
        ids = [r[key] for r in tables[name]]
        assert len(ids) == len(set(ids)) and {i.split(":")[0] for i in ids} == {
            "mitsugi", "kinoshou"}, (name, ids)
    features = [f["id"] for f in locations["features"]]
    assert len(features) == len(set(features)) and all(":" in f for f in features)
    info = tables["feed_info.txt"]
    assert len(info) == 1 and (info[0]["feed_start_date"], info[0]["feed_end_date"]) == (
        "20270101", "20271231")
    feed = read_with_gtfs_kit(out)
    assert set(feed.stops["stop_id"]) == set(stops)
    assert {r.split(":")[0] for r in feed.routes["route_id"]} == {"mitsugi", "kinoshou"}


def test_export_combined_defaults_to_the_deployments_areas_and_published_window(
        tmp_path, capsys, monkeypatch):
    """Without ``--areas`` the areas are the deployment's (NORIAI_SERVICE, NORIAI_AREAS); without
    ``--start`` the window is the published one, from the first of the current month."""
    monkeypatch.setenv("NORIAI_SERVICE", "kinoshou")
    monkeypatch.setenv("NORIAI_AREAS", "mitsugi")
    out = tmp_path / "combined.zip"
    before = datetime.now(TOKYO).date().replace(day=1)
    code = main(["gtfs", "export", "--combined", str(out), "--days", "60"])
    after = datetime.now(TOKYO).date().replace(day=1)
    text = capsys.readouterr().out
    assert code == 0, text
    assert "areas: kinoshou, mitsugi" in text
    tables, _ = read_zip_tables(out)
    assert [r["route_id"] for r in tables["routes.txt"]] == [
        "kinoshou:kinoshou_ondemand", "mitsugi:mitsugi_ondemand"]
    assert tables["feed_info.txt"][0]["feed_start_date"] in {
        d.strftime("%Y%m%d") for d in (before, after)}


def test_export_combined_refuses_an_area_given_twice(tmp_path, capsys):
    """The same area twice (here by name and by its folder) would merge into colliding ids:
    refused with exit code 2, nothing written."""
    out = tmp_path / "x.zip"
    code = main(["gtfs", "export", "--combined", str(out), "--areas",
                 f"mitsugi,kinoshou,{service_dir('mitsugi')}"])
    assert code == 2 and "given twice" in capsys.readouterr().err
    assert not out.exists()
