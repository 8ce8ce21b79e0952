"""Serving the driver app: its static files at ``/driver/`` from the API process."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles

#: The app's files: HTML, JS modules, CSS, the PWA manifest, the service worker and icons.
STATIC = Path(__file__).resolve().parent / "static"


class _ShellFiles(StaticFiles):
    """Static files that tell browsers to check back for a new version of the app shell."""

    def file_response(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        """The file, revalidated on each load (the service worker keeps the offline copy)."""
        response = super().file_response(*args, **kwargs)
        response.headers["Cache-Control"] = "no-cache"
        return response


def mount_driver_app(app: FastAPI, prefix: str = "/driver") -> None:
    """Serve the driver app at ``prefix``/ (``prefix`` itself redirects there, in the same
    service area: ``/a/<area>/driver`` to ``/a/<area>/driver/``)."""

    @app.get(prefix, include_in_schema=False)
    def _driver_root(request: Request) -> RedirectResponse:
        return RedirectResponse(f"{request.scope.get('root_path', '')}{prefix}/")

    app.mount(prefix, _ShellFiles(directory=STATIC, html=True), name="driver_app")
