"""``noriai gtfs``: export and validate the static feed, import and query outside feeds.

Commands::

    noriai gtfs export OUT.zip [--service mitsugi] [--start YYYY-MM-DD] [--days N] [--folder DIR]
    noriai gtfs export --combined OUT.zip [--areas mitsugi,kinoshou] [--start ...] [--days N]
    noriai gtfs validate FEED.zip [--today YYYY-MM-DD]
    noriai gtfs import-connections FEED.zip [--name NAME] [--data-dir DIR]
    noriai gtfs departures STOP_ID [--at ISO] [--n 5] [--buffer-min 5] [--service mitsugi] [--json]

Exit codes: 0 fine, 1 the feed has validation errors (or cannot be imported), 2 bad usage.
The clock is read only here (default start date and ``--at``), in the service's time zone.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from dispatcher.errors import NoriaiError
from dispatcher.service_area import ServiceArea
from dispatcher.services import load_service, load_service_from


def _service(name: str) -> ServiceArea:
    folder = Path(name)
    return load_service_from(folder) if (folder / "service.toml").is_file() else load_service(name)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="noriai gtfs", description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="command", required=True)

    e = sub.add_parser("export", help="write and validate the service's GTFS-Flex feed")
    e.add_argument("out", type=Path, help="zip to write")
    e.add_argument("--service", default="mitsugi", help="shipped service name or folder")
    e.add_argument("--combined", action="store_true",
                   help="the combined feed of every area of the deployment, ids <area>:<id> "
                        "(the bytes of /gtfs/combined/feed.zip)")
    e.add_argument("--areas", help="with --combined: comma-separated areas, the first first "
                                   "(default: NORIAI_SERVICE and NORIAI_AREAS)")
    e.add_argument("--start", type=date.fromisoformat,
                   help="first day (default: today, local; with --combined the published "
                        "window's, the first of the deployment's current month)")
    e.add_argument("--days", type=int, default=365, help="validity in days (default 365)")
    e.add_argument("--folder", type=Path, help="also write the unzipped files here")

    v = sub.add_parser("validate", help="validate a GTFS zip with gtfs-analyzer")
    v.add_argument("feed", type=Path)
    v.add_argument("--today", type=date.fromisoformat, help="reference date (default: today)")

    i = sub.add_parser("import-connections", help="store an outside GTFS feed for connections")
    i.add_argument("feed", type=Path)
    i.add_argument(
        "--name",
        help="name to store it under (default: zip name; "
        "'chugokubus' replaces the shipped partial feed)",
    )
    i.add_argument("--data-dir", type=Path, help="data folder (default NORIAI_DATA_DIR or ./var)")

    d = sub.add_parser("departures", help="next departures at a transfer point")
    d.add_argument("stop_id", help="service stop id (e.g. ichi_office) or an outside stop id")
    d.add_argument("--at", type=datetime.fromisoformat, help="after this time (default: now)")
    d.add_argument("--n", type=int, default=5)
    d.add_argument("--buffer-min", type=float, default=5.0, help="transfer buffer in minutes")
    d.add_argument("--service", default="mitsugi")
    d.add_argument("--feed", action="append", default=[], help="only this outside feed")
    d.add_argument("--data-dir", type=Path)
    d.add_argument("--json", action="store_true", help="print JSON")
    return p


def _area_names(text: str | None) -> list[str]:
    """The areas of ``--areas``, else the deployment's (``NORIAI_SERVICE``, ``NORIAI_AREAS``)."""
    if text is None:
        from dispatcher.settings import Settings

        # Only the list of areas is read (development mode: no secret is checked or needed).
        return Settings(mode="development").area_names
    return list(dict.fromkeys(n.strip() for n in text.split(",") if n.strip()))


def _export(args: argparse.Namespace) -> int:
    from gtfs.feed import FeedReport, export_feed
    from gtfs.publish import deployment_day, export_combined, publish_window

    report: FeedReport
    if args.combined:
        services = [_service(name) for name in _area_names(args.areas)]
        today = deployment_day(datetime.now(ZoneInfo(s.timezone)).date() for s in services)
        start = args.start or publish_window(today)[0]
        try:
            report = export_combined(services, args.out, start=start, days=args.days,
                                     today=None if args.start else today, folder=args.folder)
        except ValueError as exc:
            print(f"noriai gtfs: {exc}", file=sys.stderr)
            return 2
        print(f"areas: {', '.join(s.id for s in services)}")
    else:
        svc = _service(args.service)
        start = args.start or datetime.now(ZoneInfo(svc.timezone)).date()
        report = export_feed(svc, args.out, start=start, days=args.days, folder=args.folder)
    print(f"wrote {report.path} (sha256 {report.sha256})")
    for name, n in report.counts.items():
        print(f"  {name:<26} {n:>5}")
    assert report.validation is not None
    print(report.validation.summary())
    return 0 if report.validation.ok else 1


def _validate(args: argparse.Namespace) -> int:
    from gtfs.feed import validate

    if not args.feed.is_file():
        print(f"noriai gtfs: no such file: {args.feed}", file=sys.stderr)
        return 2
    result = validate(args.feed, today=args.today or date.today())
    print(result.summary())
    return 0 if result.ok else 1


def _import(args: argparse.Namespace) -> int:
    from gtfs.connection_feeds import import_feed

    report = import_feed(args.feed, args.name, args.data_dir)
    print(f"imported {report.name} -> {report.path} (sha256 {report.sha256})")
    print("  " + ", ".join(f"{k} {v}" for k, v in report.counts.items()))
    if report.replaced_shipped:
        print(f"  replaces the shipped partial feed '{report.name}'")
    return 0


def _departures(args: argparse.Namespace) -> int:
    from gtfs import connections as cx
    from gtfs.connection_feeds import load_timetables

    svc = _service(args.service)
    tz = ZoneInfo(svc.timezone)
    at = args.at or datetime.now(tz)
    if at.tzinfo is None:
        at = at.replace(tzinfo=tz)
    timetables = load_timetables(args.data_dir, tuple(args.feed))
    if args.stop_id in dict(svc.connection_stop_ids):
        board = cx.departures_at(timetables, svc, args.stop_id, at, args.n)
        service_stop = args.stop_id
    else:
        boards = [cx.next_departures(tt, (args.stop_id,), at, args.n) for tt in timetables]
        deps = sorted((d for b in boards for d in b.departures), key=lambda d: d.departure)
        notes = tuple(dict.fromkeys(n for b in boards for n in b.notes))
        unknown = tuple(sorted({s for b in boards for s in b.unknown_services}))
        board = cx.DepartureBoard(tuple(deps[: args.n]), unknown, notes)
        service_stop = ""
    buffer_s = round(args.buffer_min * 60)
    if args.json:
        rows = []
        for d in board.departures:
            row = d.as_dict()
            row["latest_dropoff"] = cx.latest_dropoff(d, buffer_s).isoformat()
            rows.append(row)
        out = {"departures": rows, "unknown_services": list(board.unknown_services)}
        out["notes"] = list(board.notes)
        print(json.dumps(out, ensure_ascii=False, indent=1))
        return 0
    print(f"next departures after {at.isoformat()} at {args.stop_id}:")
    if not board.departures:
        print("  (none found)")
    for d in board.departures:
        latest = cx.latest_dropoff(d, buffer_s)
        print(
            f"  {d.departure:%H:%M}  {d.route_name} → {d.headsign}  "
            f"[{d.stop_name} {d.stop_id}, trip {d.trip_id}, {d.feed}]  "
            f"arrive by {latest:%H:%M}"
        )
        if service_stop:
            print(f"      {cx.arrive_by(d, service_stop, buffer_s).describe('ja')}")
    for note in board.notes:
        print(f"  note: {note}")
    return 0


COMMANDS = {
    "export": _export,
    "validate": _validate,
    "import-connections": _import,
    "departures": _departures,
}


def main(argv: list[str]) -> int:
    """Run ``noriai gtfs ARGS``; returns the exit code."""
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    try:
        return COMMANDS[args.command](args)
    except NoriaiError as exc:
        print(f"noriai gtfs: {exc.message_en} / {exc.message_ja}", file=sys.stderr)
        return 1
    except FileNotFoundError as exc:
        print(f"noriai gtfs: no such file: {exc}", file=sys.stderr)
        return 2
