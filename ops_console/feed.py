"""The GTFS feeds' state as the console shows it (pure; tolerant of the status body's shape): the
area's own feed (:func:`feed_view`) and the deployment's combined feed (:func:`combined_view`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class FeedView:
    """Last export time, digest, and the validator's findings."""

    exported_at: str | None
    sha256: str | None
    valid: bool
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _messages(items: Any) -> list[str]:
    if isinstance(items, int):
        return []
    out = []
    for it in items or []:
        if isinstance(it, Mapping):
            text = it.get("message") or it.get("message_en") or it.get("code") or str(dict(it))
            where = it.get("file") or it.get("filename")
            out.append(f"{where}: {text}" if where else str(text))
        else:
            out.append(str(it))
    return out


def feed_view(status: Mapping[str, Any]) -> FeedView:
    """Read ``GET /gtfs/status``: ``exported_at`` (or ``last_export``), ``sha256``, and
    ``errors`` / ``warnings`` at the top level or under ``validation``."""
    validation = status.get("validation") or {}
    if not isinstance(validation, Mapping):
        validation = {}
    errors = _messages(status.get("errors", validation.get("errors")))
    warnings = _messages(status.get("warnings", validation.get("warnings")))
    valid = status.get("valid", validation.get("valid", validation.get("ok")))
    return FeedView(
        exported_at=status.get("exported_at") or status.get("last_export") or status.get("generated_at"),
        sha256=status.get("sha256") or status.get("digest"),
        valid=bool(valid) if valid is not None else not errors,
        errors=errors, warnings=warnings)


#: Where the combined feed answers when its status does not say (the API's root path).
COMBINED_URL = "/gtfs/combined/feed.zip"


@dataclass(frozen=True, slots=True)
class CombinedView:
    """The deployment's combined feed: its last export, the areas it holds, size, window, link."""

    feed: FeedView
    #: The areas included, as the console names them, in the feed's order.
    areas: list[str]
    #: The feed's address to publish (at the deployment's root, not under an area).
    url: str
    size_bytes: int | None
    start: str | None
    end: str | None


def combined_view(status: Mapping[str, Any], base: str,
                  labels: Mapping[str, str] | None = None) -> CombinedView:
    """Read ``GET /gtfs/combined/status``; ``base`` is the deployment's API root (the link
    points there), ``labels`` names areas by id (an unknown id is shown as it is)."""
    names = labels or {}
    size = status.get("bytes")
    return CombinedView(
        feed=feed_view(status),
        areas=[names.get(str(a), str(a)) for a in status.get("areas") or []],
        url=base.rstrip("/") + str(status.get("url") or COMBINED_URL),
        size_bytes=int(size) if isinstance(size, int) else None,
        start=status.get("start"), end=status.get("end"))


def size_text(n: int | None) -> str:
    """A size in bytes as people read it (kB, MB; decimal units)."""
    if n is None:
        return "—"
    if n < 1000:
        return f"{n} B"
    return f"{n / 1000:.1f} kB" if n < 1_000_000 else f"{n / 1_000_000:.1f} MB"
