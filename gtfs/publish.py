"""The published static feed: which window, which configuration, which bytes, which verdict.

The API serves the service's GTFS-Flex feed at a stable URL. What it serves is fixed by two
things only: the service configuration (as a canonical hash, :func:`config_hash`) and the
feed window (:func:`publish_window`: from the first day of the current local month, 365
days), so the bytes — and their SHA-256, the ETag — change when the configuration changes or
a new month starts, never otherwise. :func:`publish` builds and validates one export;
:class:`PublishedFeed` is what the API keeps in memory and records in the ``settings`` table.

A deployment's combined feed (:func:`publish_combined`: every area's feed for the same window,
merged by :func:`gtfs.combined.merge_feeds`) is published the same way; its bytes depend on
the areas' configurations in order (:func:`combined_hash`) and the window, which the
deployment's day chooses (:func:`deployment_day`: the earliest of the areas' local days, so
no area is special). ``noriai gtfs export --combined`` writes the same bytes
(:func:`export_combined`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from dispatcher.service_area import ServiceArea
from gtfs.combined import Publisher, merge_feeds
from gtfs.feed import (
    FeedReport,
    ValidationResult,
    feed_files,
    feed_zip,
    validate,
    write_export,
    zip_bytes,
)
from gtfs.flex import build_feed
from gtfs.tables import FlexFeed

#: Length of the published window in days.
FEED_DAYS = 365
#: Key of the export record in the ``settings`` table.
SETTING_KEY = "gtfs_feed"
#: Key of the combined feed's export record (in the deployment's database's ``settings`` table).
COMBINED_SETTING_KEY = "gtfs_feed_combined"
#: How many notices the status keeps (the counts are always complete).
MAX_NOTICES = 50


def _canonical(value: Any) -> Any:
    """Plain JSON values with a stable order (sets sorted, dates as ISO text)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _canonical(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, (set, frozenset)):
        return sorted((_canonical(v) for v in value), key=repr)
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


def config_hash(service: ServiceArea) -> str:
    """SHA-256 (hex) of the service configuration in a canonical JSON form.

    Equal configurations give equal hashes in every process (frozensets are sorted, so the
    hash does not depend on ``PYTHONHASHSEED``); any changed field changes it.
    """
    text = json.dumps(_canonical(service), ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def publish_window(today: date, days: int = FEED_DAYS) -> tuple[date, int]:
    """First day and length of the published feed: the current local month's first day."""
    return today.replace(day=1), days


@dataclass(frozen=True, slots=True)
class PublishedFeed:
    """One export of the static feed: its bytes, their hash, its window, the verdict."""

    data: bytes
    sha256: str
    config_hash: str
    start: date
    days: int
    exported_at: datetime
    validation: dict[str, Any]

    @property
    def key(self) -> tuple[str, str, int]:
        """What the bytes depend on: configuration hash, first day, length."""
        return self.config_hash, self.start.isoformat(), self.days

    def as_recorded(self, record: dict[str, Any]) -> PublishedFeed:
        """This export with the export time and verdict of ``record`` when it describes the
        same bytes (another worker recorded them first), else unchanged."""
        if (record.get("sha256") != self.sha256 or record.get("config_hash") != self.config_hash
                or not record.get("validation") or record == self.status()):
            return self
        return dataclasses.replace(self, exported_at=datetime.fromisoformat(record["exported_at"]),
                                   validation=record["validation"])

    def status(self) -> dict[str, Any]:
        """The export record (JSON-ready; what ``/gtfs/status`` shows and ``settings`` keeps)."""
        last = self.start.toordinal() + self.days - 1
        return {
            "sha256": self.sha256,
            "etag": f'"{self.sha256}"',
            "config_hash": self.config_hash,
            "start": self.start.isoformat(),
            "end": date.fromordinal(last).isoformat(),
            "days": self.days,
            "bytes": len(self.data),
            "exported_at": self.exported_at.isoformat(),
            "validation": self.validation,
        }


def validation_summary(result: ValidationResult) -> dict[str, Any]:
    """JSON-ready verdict: ok, counts, validator, and the errors and warnings (capped)."""

    def rows(notices: tuple[Any, ...]) -> list[dict[str, Any]]:
        return [
            {"rule_id": n.rule_id, "severity": n.severity, "file": n.file, "line": n.line,
             "field": n.field, "message": n.message}
            for n in notices[:MAX_NOTICES]
        ]

    return {
        "ok": result.ok,
        **result.counts(),
        "status": result.status,
        "validator": result.validator,
        "error_notices": rows(result.errors),
        "warning_notices": rows(result.warnings),
    }


def build(service: ServiceArea, start: date, days: int = FEED_DAYS) -> tuple[bytes, str]:
    """The feed's zip bytes and SHA-256 for a window (same as ``noriai gtfs export``)."""
    return feed_zip(service, start, days)


def publish(service: ServiceArea, today: date, now: datetime, days: int = FEED_DAYS,
            previous: dict[str, Any] | None = None) -> PublishedFeed:
    """Build the feed of the window around ``today`` and validate it (as of ``today``).

    Parameters
    ----------
    service
        The service configuration.
    today
        The local service day "now" (chooses the window; the validator's reference day).
    now
        Export time (aware), recorded in the status.
    days
        Window length.
    previous
        A stored export record: when it describes exactly these bytes, its export time and
        verdict are kept and the validator is not run again.
    """
    start, days = publish_window(today, days)
    data, sha = build(service, start, days)
    return _verdict(data, sha, config_hash(service), start, days, today, now, previous)


def _verdict(data: bytes, sha: str, chash: str, start: date, days: int, today: date,
             now: datetime, previous: dict[str, Any] | None) -> PublishedFeed:
    """The export of these bytes: the stored verdict when ``previous`` describes them, else a
    fresh one (validated as of ``today``, exported ``now``)."""
    if (previous and previous.get("sha256") == sha and previous.get("config_hash") == chash
            and previous.get("validation")):
        return PublishedFeed(data, sha, chash, start, days,
                             datetime.fromisoformat(previous["exported_at"]),
                             previous["validation"])
    verdict = validation_summary(validate(data, today=today))
    return PublishedFeed(data, sha, chash, start, days, now, verdict)


# --- the deployment's combined feed ----------------------------------------------------


def combined_hash(services: Sequence[ServiceArea]) -> str:
    """SHA-256 (hex) of the areas' configurations in their order (what the combined feed's
    bytes depend on besides the window)."""
    text = "\n".join(f"{s.id}={config_hash(s)}" for s in services)
    return hashlib.sha256(text.encode()).hexdigest()


def deployment_day(days: Iterable[date]) -> date:
    """The local day that chooses the combined feed's window: the earliest of the areas' current
    days (areas may be in different time zones). Every area's own day is then inside the
    window, whichever area is listed first."""
    return min(days)


def combined_flex(services: Sequence[ServiceArea], start: date, days: int = FEED_DAYS,
                  publisher: Publisher | None = None) -> FlexFeed:
    """The combined feed: every area's feed for the window, merged
    (:func:`gtfs.combined.merge_feeds`; the first area publishes unless ``publisher``).

    Raises
    ------
    ValueError
        An area given twice, or what :func:`gtfs.combined.merge_feeds` refuses.
    """
    ids = [s.id for s in services]
    if len(set(ids)) != len(ids):
        raise ValueError(f"a service area is given twice: {', '.join(ids)}")
    return merge_feeds({s.id: build_feed(s, start, days) for s in services}, publisher)


def build_combined(services: Sequence[ServiceArea], start: date, days: int = FEED_DAYS,
                   publisher: Publisher | None = None) -> tuple[bytes, str]:
    """The combined feed's zip bytes and SHA-256 (:func:`combined_flex`)."""
    data = zip_bytes(feed_files(combined_flex(services, start, days, publisher)))
    return data, hashlib.sha256(data).hexdigest()


def export_combined(services: Sequence[ServiceArea], out_path: Path, *, start: date,
                    days: int = FEED_DAYS, today: date | None = None,
                    folder: Path | None = None, check: bool = True) -> FeedReport:
    """Write (and by default validate as of ``today``, default ``start``) the combined feed of
    ``services`` for the window ``start`` + ``days``: for the published window
    (:func:`publish_window` of :func:`deployment_day`) the bytes the API serves at
    ``/gtfs/combined/feed.zip``."""
    return write_export(combined_flex(services, start, days), out_path, today=today or start,
                        folder=folder, check=check)


def publish_combined(services: Sequence[ServiceArea], today: date, now: datetime,
                     days: int = FEED_DAYS,
                     previous: dict[str, Any] | None = None) -> PublishedFeed:
    """The combined feed of a deployment's areas for the window around ``today`` (the
    :func:`deployment_day`), validated like one area's (:func:`publish`); its ``config_hash``
    is :func:`combined_hash`."""
    start, days = publish_window(today, days)
    data, sha = build_combined(services, start, days)
    return _verdict(data, sha, combined_hash(services), start, days, today, now, previous)
