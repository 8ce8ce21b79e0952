"""Simulation fixtures: the shipped Mitsugi service and its real road network (loaded once)."""

from __future__ import annotations

import pytest

from dispatcher.services import load_service
from routing.network import load_network


@pytest.fixture(scope="session")
def mitsugi():
    """The configured Mitsugi service."""
    return load_service("mitsugi")


@pytest.fixture(scope="session")
def network():
    """The shipped Mitsugi road network."""
    return load_network("mitsugi")
