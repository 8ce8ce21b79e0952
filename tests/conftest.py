"""Shared fixtures: the real PostgreSQL server and Debian's chromium, skipped visibly where missing.

In CI (``.ci/run``) ``NORIAI_REQUIRE_POSTGRES=1`` and ``NORIAI_REQUIRE_BROWSER=1`` turn those skips
into failures, so a missing service can never make a green run.
"""

from __future__ import annotations

import os
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
ARTIFACTS = REPO / "tests" / "artifacts"

#: Set to use an existing database; otherwise each test session creates its own database on the
#: server (so two test runs on one machine never share one) and drops it at the end.
POSTGRES_URL = os.environ.get("NORIAI_TEST_POSTGRES_URL", "")
POSTGRES_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"


def _missing(what: str, env: str) -> None:
    """Skip with the reason, or fail when CI requires the component."""
    if os.environ.get(env) == "1":
        pytest.fail(f"{what} is required in CI ({env}=1) but is not available")
    pytest.skip(f"{what} not available on this machine")


def _port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1.0):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """SQLAlchemy URL of a PostgreSQL test database on 127.0.0.1:5432: ``NORIAI_TEST_POSTGRES_URL``
    if set, else a database made for this session (``noriai_test_<pid>``, dropped afterwards)."""
    if POSTGRES_URL:
        yield POSTGRES_URL
        return
    if not _port_open("127.0.0.1", 5432):
        _missing("PostgreSQL on 127.0.0.1:5432", "NORIAI_REQUIRE_POSTGRES")
    import psycopg

    name = f"noriai_test_{os.getpid()}"
    with psycopg.connect(POSTGRES_SERVER, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(POSTGRES_SERVER, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Path of Debian's chromium for the browser tests."""
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        _missing("Debian's chromium", "NORIAI_REQUIRE_BROWSER")
    return str(path)


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    """Folder where tests keep screenshots and other artifacts (tests/artifacts)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The read-only ../shared folder (benchmark instances, source data)."""
    if not SHARED.is_dir():
        pytest.skip("../shared is not present beside the repository")
    return SHARED

