"""The web apps' install manifests, named after the service area they were opened in.

The rider and driver apps are the same static files in every area (``/rider/``,
``/a/<area>/rider/``, …); their ``manifest.webmanifest`` is the one thing that differs: a phone
that installs the app of two areas shows two names, each the area's own. ``start_url`` and
``scope`` stay relative (``./``), so each area's installed app opens and stays in its own folder.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import Response

from dispatcher.api.deps import get_runtime
from dispatcher.service_area import ServiceArea
from driver_app.web import STATIC as DRIVER
from rider_app import STATIC as RIDER

MEDIA_TYPE = "application/manifest+json"


def area_manifest(base: dict[str, Any], names: tuple[str, str]) -> dict[str, Any]:
    """``base`` (the app's static manifest) named for one area (pure): ``names`` is the app's
    (Japanese, English) name in that area; the folder-relative start and scope are kept."""
    ja, en = names
    return {**base, "name": f"{ja} / {en}", "start_url": "./", "scope": "./"}


def mount_manifests(app: FastAPI) -> None:
    """The rider app's and the driver app's manifests (``/rider/manifest.webmanifest``,
    ``/driver/manifest.webmanifest``); added before the apps' static files."""
    mount_manifest(app, "/rider/manifest.webmanifest", RIDER / "manifest.webmanifest",
                   lambda svc: (svc.name_ja, svc.name_en))
    mount_manifest(app, "/driver/manifest.webmanifest", DRIVER / "manifest.webmanifest",
                   lambda svc: (f"乗合 ドライバー {svc.name_ja}", f"noriai driver {svc.name_en}"))


def mount_manifest(app: FastAPI, url_path: str, static_file: Path,
                   names: Callable[[ServiceArea], tuple[str, str]]) -> None:
    """Serve ``static_file`` at ``url_path`` named for the request's area (``names`` gives the
    app's Japanese and English name from the area); must be added before the app's files."""
    base: dict[str, Any] = json.loads(static_file.read_text(encoding="utf-8"))

    @app.get(url_path, include_in_schema=False)
    def _manifest(request: Request) -> Response:
        service = get_runtime(request).service
        body = json.dumps(area_manifest(base, names(service)), ensure_ascii=False)
        return Response(body, media_type=MEDIA_TYPE, headers={"Cache-Control": "no-cache"})
