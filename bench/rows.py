"""Printing a benchmark's rows: a ``|``-separated table on stdout, and JSON when asked."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any


def print_rows(rows: Sequence[dict[str, Any]], json_path: Path | None = None) -> None:
    """Print ``rows`` (dicts with the same keys) as a table; write them to ``json_path`` too."""
    keys = list(rows[0])
    print(" | ".join(keys))
    for r in rows:
        print(" | ".join(str(r[k]) for k in keys))
    if json_path:
        json_path.write_text(json.dumps(list(rows), indent=2))
