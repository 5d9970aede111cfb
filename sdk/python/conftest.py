import pytest

import lane


@pytest.fixture(scope="module", autouse=True)
def fresh_world():
    """Every test module starts from the emulator's default world."""
    lane.reset_world()
    yield


@pytest.fixture(scope="session")
def hostport():
    return lane.emulator_hostport()
