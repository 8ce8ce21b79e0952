"""gtfs.feed: the exported zip round-trips through gtfs-kit and passes gtfs-analyzer, for every
shipped area (the example area's feed too)."""

from __future__ import annotations

import io
import zipfile
from dataclasses import replace
from datetime import date

import pytest

from dispatcher.service_area import clock_s
from dispatcher.services import load_service, shipped_services
from gtfs.feed import (
    export_feed,
    feed_zip,
    read_with_gtfs_kit,
    read_zip_tables,
    validate,
    zip_bytes,
)
from gtfs.flex import build_feed

START = date(2026, 12, 1)


@pytest.fixture(scope="module")
def svc():
    """The shipped Mitsugi service."""
    return load_service("mitsugi")


@pytest.fixture(scope="module")
def exported(svc, tmp_path_factory):
    """The Mitsugi feed exported for a year from START (zip and folder)."""
    out = tmp_path_factory.mktemp("feed")
    return export_feed(svc, out / "mitsugi.zip", start=START, days=365, folder=out / "unzipped")


@pytest.fixture(scope="module", params=shipped_services())
def area_export(request, tmp_path_factory):
    """Each shipped area and its feed exported for a year from START (zip and folder)."""
    area = load_service(request.param)
    out = tmp_path_factory.mktemp(f"feed-{area.id}")
    return area, export_feed(area, out / f"{area.id}.zip", start=START, days=365,
                             folder=out / "unzipped")


def test_export_passes_the_validator_with_zero_errors(area_export):
    """gtfs-analyzer finds no CRITICAL/HIGH finding in the exported feed of each area."""
    _, exported = area_export
    result = exported.validation
    assert result is not None and result.status == "COMPLETE"
    assert result.errors == (), result.summary()
    print(result.summary())


def test_round_trip_through_gtfs_kit(area_export):
    """gtfs-kit loads the feed; stops, routes, trips and calendar are present and consistent."""
    svc, exported = area_export
    feed = read_with_gtfs_kit(exported.path)
    assert len(feed.stops) == len(svc.stops)
    assert set(feed.trips["route_id"]) <= set(feed.routes["route_id"])
    assert set(feed.trips["service_id"]) <= set(feed.calendar["service_id"])
    assert set(feed.stop_times["trip_id"]) == set(feed.trips["trip_id"])
    assert feed.agency["agency_id"].tolist() == [svc.agency.id]
    assert feed.calendar["start_date"].tolist() == ["20261201"]
    assert feed.calendar["end_date"].tolist() == ["20271130"]
    assert set(feed.get_dates()) >= {"20261201", "20271130"}


def test_flex_files_read_back_equal_what_was_written(area_export):
    """Every table, the Flex ones included, and locations.geojson read back unchanged."""
    svc, exported = area_export
    tables, locations = read_zip_tables(exported.path)
    written = build_feed(svc, START, 365)
    assert set(tables) == set(written.tables)
    for name, table in written.tables.items():
        assert tables[name] == list(table.rows), name
    assert locations == written.locations
    for name in ("booking_rules.txt", "location_groups.txt", "location_group_stops.txt"):
        assert (exported.folder / name).is_file()
    assert exported.counts["locations.geojson"] == 1
    assert exported.counts["stops.txt"] == len(svc.stops)


def test_same_config_gives_identical_bytes_and_hash(svc, tmp_path, exported):
    """Unchanged configuration -> identical zip bytes; a changed one -> another hash."""
    again = export_feed(svc, tmp_path / "again.zip", start=START, days=365, check=False)
    assert again.sha256 == exported.sha256
    assert again.path.read_bytes() == exported.path.read_bytes()
    data, digest = feed_zip(svc, START, 365)
    assert digest == exported.sha256 and data == exported.path.read_bytes()
    later = replace(svc, booking=replace(svc.booking, min_notice_s=7200))
    changed = export_feed(later, tmp_path / "changed.zip", start=START, days=365, check=False)
    assert changed.sha256 != exported.sha256


@pytest.mark.parametrize("booking_type", ["prior_day", "real_time"])
def test_other_configurations_also_validate(svc, tmp_path, booking_type):
    """Other booking types, hours past midnight and Saturday service still give valid feeds."""
    other = replace(
        svc,
        booking=replace(svc.booking, type=booking_type),
        calendar=replace(svc.calendar, days=frozenset({"mon", "sat"})),
        periods=(replace(svc.periods[0], start_s=clock_s("18:00"), end_s=clock_s("25:00")),),
    )
    report = export_feed(other, tmp_path / "other.zip", start=START, days=60)
    assert report.validation.errors == (), report.validation.summary()


def _mutated(path, name, edit):
    """Zip bytes of the feed at ``path`` with file ``name`` replaced by ``edit(text)``."""
    with zipfile.ZipFile(path) as zf:
        files = {n: zf.read(n) for n in zf.namelist()}
    if edit is None:
        del files[name]
    else:
        files[name] = edit(files[name].decode()).encode()
    return zip_bytes(files)


def _add_arrival(text):
    lines = text.splitlines()
    lines[0] += ",arrival_time,departure_time"
    lines[1] += ",08:00:00,08:00:00"
    lines[2:] = [line + ",," for line in lines[2:]]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    ("name", "edit", "rule"),
    [
        ("stop_times.txt", _add_arrival, "STM_037"),
        (
            "stop_times.txt",
            lambda t: t.replace(",2,1,mitsugi_booking", ",0,1,mitsugi_booking"),
            "STM_051",
        ),
        (
            "booking_rules.txt",
            lambda t: t.replace("mitsugi_booking,1,", "mitsugi_booking,2,"),
            "BKR_008",
        ),
        ("locations.geojson", None, "XFL_025"),
    ],
    ids=[
        "window-and-arrival",
        "pickup-type-0-in-window",
        "type-2-without-deadline",
        "missing-zone",
    ],
)
def test_broken_feeds_are_caught(exported, name, edit, rule):
    """Deliberately broken Flex feeds fail validation: the validator really runs."""
    result = validate(_mutated(exported.path, name, edit), today=START)
    assert not result.ok
    assert rule in {n.rule_id for n in result.errors}, result.summary()


def test_unreadable_zip_is_an_error_not_a_crash():
    """Bytes that are not a zip give a CRITICAL result, so the CLI can report it."""
    result = validate(b"not a zip", today=START)
    assert not result.ok and result.status == "FATAL"


def test_written_zip_has_only_gtfs_members(exported):
    """The zip holds flat files (no folders), sorted, with a fixed timestamp."""
    with zipfile.ZipFile(io.BytesIO(exported.path.read_bytes())) as zf:
        names = zf.namelist()
        assert names == sorted(names) and all("/" not in n for n in names)
        assert {i.date_time for i in zf.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_feed_about_to_expire_is_an_error(svc, tmp_path):
    """A feed whose service ends within a month of 'today' is flagged (CAL_008): export longer."""
    report = export_feed(svc, tmp_path / "short.zip", start=START, days=30)
    assert "CAL_008" in {n.rule_id for n in report.validation.errors}
