"""The rider and driver apps of each service area: the same files under every area's prefix, an
install manifest named after the area (start and scope the area's own folder), and
``/a/<area>/driver`` leading to that area's app, not the root's."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from dispatcher.api.app import create_app
from dispatcher.settings import Settings


@pytest.fixture(scope="module")
def client(tmp_path_factory) -> Iterator[TestClient]:
    tmp = tmp_path_factory.mktemp("area-apps")
    settings = Settings(db=f"sqlite:///{tmp / 'noriai.db'}", data_dir=tmp, areas="kinoshou",
                        reopt_interval_s=0, standing_interval_s=0, secret_key="t" * 40,
                        operator_password="operator-test", driver_password="driver-test")
    with TestClient(create_app(settings, background=False), follow_redirects=False) as c:
        yield c


@pytest.mark.parametrize(("prefix", "ja", "en"), [
    ("", "御調町 予約型乗合タクシー", "Mitsugi Shared Taxi (on demand)"),
    ("/a/mitsugi", "御調町 予約型乗合タクシー", "Mitsugi Shared Taxi (on demand)"),
    ("/a/kinoshou", "【例】木ノ庄・原田 予約型乗合タクシー",
     "[Example] Kinosho-Harada Shared Taxi (on demand)"),
])
def test_each_area_serves_its_own_apps(client: TestClient, prefix: str, ja: str, en: str) -> None:
    rider = client.get(f"{prefix}/rider/manifest.webmanifest")
    assert rider.status_code == 200
    assert rider.headers["content-type"].startswith("application/manifest+json")
    m = rider.json()
    assert m["name"] == f"{ja} / {en}" and m["start_url"] == "./" and m["scope"] == "./"
    assert m["lang"] == "ja" and m["display"] == "standalone" and m["icons"]
    d = client.get(f"{prefix}/driver/manifest.webmanifest").json()
    assert d["name"] == f"乗合 ドライバー {ja} / noriai driver {en}"
    assert d["start_url"] == "./" and d["scope"] == "./"
    for path in ("/rider/", "/rider/app.js", "/rider/sw.js", "/driver/", "/driver/app.js",
                 "/driver/sw.js"):
        assert client.get(prefix + path).status_code == 200, prefix + path
    r = client.get(f"{prefix}/driver")
    assert r.status_code in (302, 307) and r.headers["location"] == f"{prefix}/driver/"
    r = client.get(f"{prefix}/rider")
    assert r.status_code in (302, 307) and r.headers["location"].endswith(f"{prefix}/rider/")
