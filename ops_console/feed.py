"""The GTFS feed's state as the console shows it (pure; tolerant of the status body's shape)."""

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
