"""The LINE webhook on a deployment of two service areas: each area applies its own events one at
a time, and an event held up in one area (a slow dialogue step) never holds up the other's."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from dispatcher.api import routes_line
from dispatcher.api.app import create_app
from dispatcher.settings import Settings
from tests.line.conftest import SECRET, TOKEN, LineStub, LineUser

WAIT_S = 10


@pytest.fixture
def two_areas(tmp_path, line_stub: LineStub, line_clock) -> Iterator[TestClient]:
    """Mitsugi and the example area Kinosho, both with a LINE channel answering to the stub."""
    settings = Settings(db=f"sqlite:///{tmp_path / 'noriai.db'}", data_dir=tmp_path,
                        areas="kinoshou", reopt_interval_s=0, standing_interval_s=0,
                        secret_key="t" * 40, operator_password="operator-test",
                        driver_password="driver-test", line_channel_secret=SECRET,
                        line_access_token=TOKEN, line_api_base=line_stub.url)
    with TestClient(create_app(settings, clock=line_clock, background=False)) as c:
        yield c


def test_one_areas_line_events_do_not_wait_for_anothers(two_areas, line_stub, monkeypatch):
    """While a Mitsugi event is stuck inside its dialogue step (holding Mitsugi's lock), a
    Kinosho user's event is answered; then the Mitsugi event finishes too. Each area's lock is
    its own, and it is the lock the webhook holds."""
    deployment = two_areas.app.state.deployment
    mitsugi, kinoshou = deployment.areas["mitsugi"], deployment.areas["kinoshou"]
    assert mitsugi.line_serial is not kinoshou.line_serial
    entered, release = threading.Event(), threading.Event()
    start = routes_line._dialogue.start

    def slow_in_mitsugi(port: Any) -> Any:
        if port.runtime is mitsugi:
            assert mitsugi.line_serial.locked()  # the event is applied under its area's lock
            entered.set()
            assert release.wait(WAIT_S)
        return start(port)

    monkeypatch.setattr(routes_line._dialogue, "start", slow_in_mitsugi)
    held = LineUser(two_areas, "U" + "1" * 32)
    other = LineUser(two_areas, "U" + "2" * 32, prefix="/a/kinoshou")
    results: dict[str, int] = {}

    def send(name: str, user: LineUser) -> None:
        results[name] = user.post(user.event("follow")).status_code

    first = threading.Thread(target=send, args=("mitsugi", held), daemon=True)
    first.start()
    try:
        assert entered.wait(WAIT_S)
        second = threading.Thread(target=send, args=("kinoshou", other), daemon=True)
        second.start()
        second.join(WAIT_S)
        assert results.get("kinoshou") == 200, "Kinosho's event waited for Mitsugi's"
        assert "mitsugi" not in results and mitsugi.line_serial.locked()
        assert not kinoshou.line_serial.locked()
    finally:
        release.set()
        first.join(WAIT_S)
    assert results == {"mitsugi": 200, "kinoshou": 200}
    assert len(line_stub.requests) == 2 and "電話番号" in line_stub.texts()[-1]
