"""The riders' mobile web app (a PWA of static files served by the API process at ``/rider/``)."""

from __future__ import annotations

from pathlib import Path

#: Folder of the app's static files.
STATIC = Path(__file__).resolve().parent / "static"
