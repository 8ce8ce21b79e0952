"""Issue 16, finding 4: oversized numbers and dates gave 500s (and each 500 dropped the
connection). Every route's every parameter (path, query, and each field of a JSON body), taken
from the app's own routes (its OpenAPI document), is sent out-of-range values: huge and negative
integers, 0001-01-01 and 9999-12-31, very long strings. Each answer must be a 4xx (or a 2xx for
a value that is legal), never a 5xx, with a JSON message a person can read.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from dispatcher.api.app import create_app
from dispatcher.settings import Settings
from dispatcher.units import at_local
from tests.api.conftest import DAY, TestClock, login, register

HUGE = [2**63, 2**64 + 7, -(2**63) - 1, 10**30, -1, 0]
DATES = ["0001-01-01", "9999-12-31", "3000-01-01", "1900-02-29"]
DATETIMES = ["0001-01-01T00:00:00+00:00", "9999-12-31T23:59:59+09:00",
             "3000-01-01T10:00:00+09:00"]
STRINGS = ["x" * 10_000, "9223372036854775808", "-1", "0001-01-01", "../../etc/passwd"]
NUMBERS = [1e308, -1e308, 10**30]
SKIP = ("/stream",)  # a server-sent event stream does not end


@pytest.fixture(scope="module")
def fuzz(tmp_path_factory) -> Iterator[dict[str, Any]]:
    """A running service with each role signed in (its routes' document, the headers)."""
    tmp: Path = tmp_path_factory.mktemp("fuzz16")
    clock = TestClock(at_local(DAY, time(8, 0)))
    settings = Settings(db=f"sqlite:///{tmp / 'f.db'}", data_dir=tmp, reopt_interval_s=0,
                        standing_interval_s=0, secret_key="t" * 40,
                        operator_password="operator-test", driver_password="driver-test")
    app = create_app(settings, clock=clock, background=False)
    with TestClient(app, raise_server_exceptions=False) as c:
        roles = {"operator": login(c, login="operator", password="operator-test"),
                 "driver": login(c, login="mitsugi-1", password="driver-test"),
                 "rider": register(c, "090-3333-4444")}
        yield {"client": c, "roles": roles, "schema": app.openapi()}


def _resolve(schema: dict[str, Any], doc: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = doc["components"]["schemas"][name]
    return schema


def _kind(schema: dict[str, Any], doc: dict[str, Any]) -> str:
    """int, number, date, date-time, string, bool, object, array or other."""
    schema = _resolve(schema, doc)
    for alt in schema.get("anyOf", []):
        k = _kind(alt, doc)
        if k != "null":
            return k
    t = schema.get("type")
    if t == "string" and schema.get("format") in ("date", "date-time"):
        return str(schema["format"])
    return {"integer": "int", "number": "number", "string": "string", "boolean": "bool",
            "object": "object", "array": "array", "null": "null"}.get(str(t), "other")


def _bad_values(kind: str) -> list[Any]:
    return {"int": HUGE, "number": NUMBERS, "date": DATES, "date-time": DATETIMES,
            "string": STRINGS}.get(kind, [])


def _fine(kind: str) -> Any:
    return {"int": 1, "number": 1.0, "date": DAY.isoformat(),
            "date-time": f"{DAY.isoformat()}T10:00:00+09:00", "string": "honmura",
            "bool": False}.get(kind)


def _body(schema: dict[str, Any], doc: dict[str, Any], bad: dict[str, Any], depth: int = 0) -> Any:
    """A body whose every leaf of a kind in ``bad`` holds that bad value (others sensible)."""
    schema = _resolve(schema, doc)
    kind = _kind(schema, doc)
    if kind == "object" or "properties" in schema:
        if depth > 3:
            return {}
        return {name: _body(sub, doc, bad, depth + 1)
                for name, sub in schema.get("properties", {}).items()}
    if kind == "array":
        item = _body(schema.get("items", {}), doc, bad, depth + 1)
        return [item]
    if kind in bad:
        return bad[kind]
    return _fine(kind)


def _role(path: str) -> str:
    if path.startswith("/api/v1/operator"):
        return "operator"
    if path.startswith("/api/v1/driver") or path.startswith("/api/v1/tickets/check"):
        return "driver"
    return "rider"


def _cases(doc: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any], Any, str]]:
    """(method, path, query, body, description) of every out-of-range case."""
    for path, ops in doc["paths"].items():
        if path.endswith(SKIP):
            continue
        for method, op in ops.items():
            params = [p for p in op.get("parameters", []) if p["in"] in ("path", "query")]
            fine_values = {p["name"]: _fine(_kind(p.get("schema", {}), doc)) or "x"
                           for p in params}
            body_schema = (op.get("requestBody", {}).get("content", {})
                           .get("application/json", {}).get("schema"))
            fine_body = _body(body_schema, doc, {}) if body_schema else None
            kinds = {p["name"]: _kind(p.get("schema", {}), doc) for p in params}
            for p in params:
                for value in _bad_values(kinds[p["name"]]):
                    values = {**fine_values, p["name"]: value}
                    yield method, path, values, fine_body, f"{p['name']}={str(value)[:30]}"
            for kind in set(kinds.values()):  # all parameters of a kind at once (start and end)
                same = [n for n, k in kinds.items() if k == kind]
                if len(same) > 1:
                    for value in _bad_values(kind):
                        values = {**fine_values, **dict.fromkeys(same, value)}
                        yield method, path, values, fine_body, f"{same}={str(value)[:30]}"
            if body_schema:
                for kind in ("int", "number", "date", "date-time", "string"):
                    for value in _bad_values(kind):
                        yield (method, path, fine_values, _body(body_schema, doc, {kind: value}),
                               f"body {kind}={str(value)[:30]}")


def test_every_parameter_out_of_range_gives_no_server_error(fuzz, caplog):
    """0 × 5xx over every route's parameters; the refusals are JSON with a message, given by
    the routes' own bounds (the database's overflow safety net is never reached)."""
    c: TestClient = fuzz["client"]
    doc = fuzz["schema"]
    failures, answered = [], 0
    for method, path, values, body, what in _cases(doc):
        url = path
        query = {}
        for name, value in values.items():
            if "{" + name + "}" in url:
                url = url.replace("{" + name + "}", str(value))
            else:
                query[name] = str(value)
        headers = fuzz["roles"][_role(path)]
        r = c.request(method.upper(), url, params=query, json=body, headers=headers)
        answered += 1
        if r.status_code >= 500:
            failures.append(f"{method.upper()} {path} {what} -> {r.status_code}")
        elif r.status_code in (400, 422) and r.headers.get("content-type", "").startswith(
                "application/json"):
            assert r.json().get("message_en"), (path, what, r.text[:200])
    assert answered > 500, answered  # the document really was walked
    assert failures == [], "\n".join(failures[:80])
    assert not [r for r in caplog.records if "reached the database" in r.getMessage()]
