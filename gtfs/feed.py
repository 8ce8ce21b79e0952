"""Write, zip, read back and validate a GTFS-Flex feed (the I/O shell around gtfs.flex).

Zips are deterministic: members sorted by name, a fixed timestamp and fixed permissions, CSV
with ``\\n`` line ends and UTF-8 without BOM, so an unchanged configuration gives identical
bytes and the same content hash (the API can use it as an ETag and to skip republishing).
Validation runs the independent ``gtfs-analyzer`` engine offline.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import gtfs_analyzer

from dispatcher.service_area import ServiceArea
from gtfs.flex import FlexFeed, Table, build_feed

ZIP_DATE = (1980, 1, 1, 0, 0, 0)
LOCATIONS = "locations.geojson"


@dataclass(frozen=True, slots=True)
class Notice:
    """One finding of the validator (rule id, severity, where, what)."""

    rule_id: str
    severity: str
    file: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        col = f" [{self.field}]" if self.field else ""
        return f"{self.severity} {self.rule_id} {where}{col}: {self.message}"


@dataclass(frozen=True, slots=True)
class ValidationResult:
    """The validator's verdict: errors (ERROR/CRITICAL), warnings, other notices, counts."""

    errors: tuple[Notice, ...]
    warnings: tuple[Notice, ...]
    infos: tuple[Notice, ...]
    status: str
    validator: str

    @property
    def ok(self) -> bool:
        """True when there is no error nor critical finding."""
        return not self.errors

    def counts(self) -> dict[str, int]:
        """Number of notices per kind."""
        return {
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "infos": len(self.infos),
        }

    def summary(self) -> str:
        """Human-readable lines: verdict, counts, then each error and warning."""
        c = self.counts()
        head = "OK" if self.ok else "INVALID"
        lines = [
            f"{head}: {c['errors']} errors, {c['warnings']} warnings, {c['infos']} infos "
            f"({self.validator}, {self.status})"
        ]
        lines += [f"  {n}" for n in self.errors + self.warnings]
        return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class FeedReport:
    """What an export produced: where, its SHA-256, row counts per file, validation."""

    path: Path
    sha256: str
    counts: dict[str, int]
    validation: ValidationResult | None = None
    folder: Path | None = None
    extra: dict[str, Any] = field(default_factory=dict)


# --- serialisation -----------------------------------------------------------------------


def table_bytes(table: Table) -> bytes:
    """A table as GTFS CSV bytes (header, ``\\n`` line ends, minimal quoting, UTF-8)."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(table.columns), lineterminator="\n")
    writer.writeheader()
    writer.writerows(table.rows)
    return buf.getvalue().encode("utf-8")


def geojson_bytes(locations: dict[str, Any]) -> bytes:
    """``locations.geojson`` bytes (stable key order, UTF-8, non-ASCII kept)."""
    return (json.dumps(locations, ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode()


def feed_files(feed: FlexFeed) -> dict[str, bytes]:
    """Every file of the feed as bytes, by file name."""
    files = {name: table_bytes(t) for name, t in feed.tables.items()}
    if feed.locations:
        files[LOCATIONS] = geojson_bytes(feed.locations)
    return files


def zip_bytes(files: dict[str, bytes]) -> bytes:
    """A deterministic zip of ``files`` (sorted, fixed timestamps and permissions)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 3
            zf.writestr(info, files[name], compresslevel=9)
    return buf.getvalue()


def write_zip(feed: FlexFeed, out_path: Path) -> bytes:
    """Write the feed as a zip to ``out_path`` (parents created); returns the bytes."""
    data = zip_bytes(feed_files(feed))
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_path.with_name(out_path.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(out_path)
    return data


def write_folder(feed: FlexFeed, folder: Path) -> Path:
    """Write the feed's files into ``folder`` (created; other files left alone)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in feed_files(feed).items():
        (folder / name).write_bytes(data)
    return folder


# --- reading back ------------------------------------------------------------------------


def read_zip_tables(path: Path) -> tuple[dict[str, list[dict[str, str]]], dict[str, Any]]:
    """The text tables (as lists of string dicts) and locations.geojson of a feed zip."""
    tables: dict[str, list[dict[str, str]]] = {}
    locations: dict[str, Any] = {}
    with zipfile.ZipFile(path) as zf:
        for name in zf.namelist():
            data = zf.read(name)
            if name == LOCATIONS:
                locations = json.loads(data)
            elif name.endswith(".txt"):
                text = data.decode("utf-8-sig")
                tables[name] = list(csv.DictReader(io.StringIO(text)))
    return tables, locations


def read_with_gtfs_kit(path: Path) -> Any:
    """Load a feed with gtfs-kit (``gtfs_kit.Feed``; it ignores the Flex-only files)."""
    import gtfs_kit

    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(path)
    return gtfs_kit.read_feed(path, dist_units="km")


# --- validation --------------------------------------------------------------------------

#: gtfs-analyzer grades findings CRITICAL, HIGH, MEDIUM, LOW, INFO; CRITICAL and HIGH are spec
#: violations (e.g. arrival_time inside a Flex window is HIGH), so both count as errors.
ERROR_SEVERITIES = frozenset({"CRITICAL", "HIGH", "ERROR"})
WARNING_SEVERITIES = frozenset({"MEDIUM", "LOW", "WARNING"})


def _notice(raw: dict[str, Any]) -> Notice:
    line = raw.get("line")
    return Notice(
        rule_id=str(raw.get("rule_id", "")),
        severity=str(raw.get("severity", "")).upper(),
        file=str(raw.get("file") or ""),
        line=int(line) if isinstance(line, int) else None,
        field=str(raw.get("field") or ""),
        message=str(raw.get("message") or raw.get("title") or ""),
    )


def result_from_report(report: dict[str, Any]) -> ValidationResult:
    """A :class:`ValidationResult` from gtfs-analyzer's result dict."""
    notices = [_notice(n) for n in report.get("notices", [])]
    key = lambda n: (n.severity, n.rule_id, n.file, n.line or 0, n.field)  # noqa: E731
    notices.sort(key=key)
    return ValidationResult(
        errors=tuple(n for n in notices if n.severity in ERROR_SEVERITIES),
        warnings=tuple(n for n in notices if n.severity in WARNING_SEVERITIES),
        infos=tuple(n for n in notices if n.severity not in ERROR_SEVERITIES | WARNING_SEVERITIES),
        status=str(report.get("validation_status", "")),
        validator=f"gtfs-analyzer {gtfs_analyzer.__version__}",
    )


def validate(feed: Path | bytes, today: date) -> ValidationResult:
    """Validate a feed zip (path or bytes) offline with gtfs-analyzer, as of local ``today``.

    An unreadable zip is reported as one CRITICAL notice rather than an exception.
    """
    try:
        report = gtfs_analyzer.validate_gtfs(
            feed if isinstance(feed, bytes) else Path(feed), today=today.isoformat()
        )
    except gtfs_analyzer.ValidationError as exc:
        return ValidationResult(
            errors=(Notice("UNREADABLE", "CRITICAL", "", None, "", str(exc)),),
            warnings=(),
            infos=(),
            status="FATAL",
            validator=f"gtfs-analyzer {gtfs_analyzer.__version__}",
        )
    return result_from_report(report)


# --- the functions the API and the CLI use --------------------------------------------


def feed_zip(service: ServiceArea, start: date, days: int = 365) -> tuple[bytes, str]:
    """The feed's zip bytes and their SHA-256 hex digest, in memory (for serving over HTTP).

    The same configuration, start and length always give the same bytes, so the digest can be
    the response's ETag and tells whether a configuration change altered the published feed.
    """
    data = zip_bytes(feed_files(build_feed(service, start, days)))
    return data, hashlib.sha256(data).hexdigest()


def export_feed(
    service: ServiceArea,
    out_path: Path,
    *,
    start: date,
    days: int = 365,
    folder: Path | None = None,
    check: bool = True,
) -> FeedReport:
    """Build, write and (by default) validate the service's feed.

    Parameters
    ----------
    service
        The service configuration.
    out_path
        The zip to write.
    start
        First day of validity (local date); also the validator's "today".
    days
        Validity in days.
    folder
        Also write the unzipped files there, if given.
    check
        Run the validator.

    Returns
    -------
    FeedReport
        Path, SHA-256 of the zip bytes (identical configs give identical hashes), rows per file
        and the validation result.
    """
    return write_export(build_feed(service, start, days), out_path, today=start, folder=folder,
                        check=check)


def write_export(feed: FlexFeed, out_path: Path, *, today: date, folder: Path | None = None,
                 check: bool = True) -> FeedReport:
    """Write a built feed (one area's or a combined one) to ``out_path`` (and ``folder``) and
    (by default) validate it as of ``today``; the report of :func:`export_feed`."""
    data = write_zip(feed, Path(out_path))
    if folder is not None:
        write_folder(feed, Path(folder))
    counts = {name: len(t) for name, t in feed.tables.items()}
    counts[LOCATIONS] = len(feed.locations.get("features", []))
    return FeedReport(
        path=Path(out_path),
        sha256=hashlib.sha256(data).hexdigest(),
        counts=dict(sorted(counts.items())),
        validation=validate(data, today=today) if check else None,
        folder=Path(folder) if folder is not None else None,
    )
