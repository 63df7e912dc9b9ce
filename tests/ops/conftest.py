"""Real server processes, each on a database of its own."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import BACKENDS, throwaway_database


@pytest.fixture(params=BACKENDS)
def own_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database for one `reqtrack serve` (which migrates it and makes its admin)."""
    with throwaway_database(request.param, tmp_path) as url:
        yield url
