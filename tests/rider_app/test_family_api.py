"""Family members over the API: add, list, remove; riders see only their own; bad input is a 4xx;
the road map for the point picker."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import TestClock, make_client, register


@pytest.fixture(scope="module")
def api(tmp_path_factory) -> Iterator[TestClient]:
    """The API on a fresh SQLite file."""
    from datetime import time

    from dispatcher.units import at_local
    from tests.api.conftest import DAY

    tmp = tmp_path_factory.mktemp("family")
    with make_client(f"sqlite:///{tmp / 'n.db'}", tmp, TestClock(at_local(DAY, time(8, 0)))) as c:
        yield c


def test_family_members_are_private_to_their_rider(api):
    """A rider adds two members and removes one; another rider neither sees nor removes them."""
    me = register(api, "090-7000-0001")
    other = register(api, "090-7000-0002")
    a = api.post("/api/v1/family", json={"name": "山田 太郎", "category": "adult"}, headers=me)
    b = api.post("/api/v1/family", json={"name": "山田 さくら", "category": "child",
                                         "wheelchair": True}, headers=me)
    assert a.status_code == 201 and b.status_code == 201
    assert [m["name"] for m in api.get("/api/v1/family", headers=me).json()] == ["山田 太郎", "山田 さくら"]
    assert api.get("/api/v1/family", headers=other).json() == []
    assert api.delete(f"/api/v1/family/{a.json()['id']}", headers=other).status_code == 404
    assert api.delete(f"/api/v1/family/{a.json()['id']}", headers=me).status_code == 204
    left = api.get("/api/v1/family", headers=me).json()
    assert left == [{"id": b.json()["id"], "name": "山田 さくら", "category": "child", "wheelchair": True}]


def test_family_bad_input_and_no_token(api):
    """Unknown category, empty name, extra fields: 422 with ja/en messages; no token: 401."""
    me = register(api, "090-7000-0003")
    for body in ({"name": "x", "category": "pet"}, {"name": "   "}, {"name": "x", "age": 3}):
        r = api.post("/api/v1/family", json=body, headers=me)
        assert r.status_code == 422, body
        assert r.json()["message_ja"] and r.json()["message_en"]
    assert api.get("/api/v1/family").status_code == 401
    # An id larger than any row is refused before it reaches the database (was a 500).
    assert api.delete(f"/api/v1/family/{2**70}", headers=me).status_code == 422


def test_road_map_geojson(api):
    """/api/v1/map/roads gives (about) every road of the network once, inside its bounds."""
    geo = api.get("/api/v1/map/roads").json()
    # Either shape the rider app reads: a MultiLineString feature or LineString features.
    segs = ([f["geometry"]["coordinates"] for f in geo["features"]]
            if geo["type"] == "FeatureCollection" else geo["geometry"]["coordinates"])
    net = api.app.state.runtime.engine.network.arrays
    assert sum(len(s) - 1 for s in segs) >= net.edge_count // 2 * 0.9
    for seg in segs[:500]:
        for lon, lat in seg:
            assert net.lat.min() - 1e-4 <= lat <= net.lat.max() + 1e-4
            assert net.lon.min() - 1e-4 <= lon <= net.lon.max() + 1e-4
