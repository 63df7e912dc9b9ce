"""The backoff every queue of outgoing work shares (webhook deliveries, notices)."""

import pytest

from app.core.worker import Backoff


@pytest.mark.parametrize(
    ("failed_attempts", "ceiling"),
    [(1, 5.0), (2, 20.0), (3, 80.0), (6, 5120.0), (7, 14400.0), (40, 14400.0)],
)
def test_each_retry_waits_four_times_longer_up_to_the_cap_less_up_to_half(failed_attempts, ceiling):
    backoff = Backoff(base_seconds=5, max_seconds=14400)

    delays = [backoff.delay(failed_attempts) for _ in range(200)]

    assert all(ceiling / 2 <= delay <= ceiling for delay in delays)
    assert max(delays) - min(delays) > ceiling / 10  # spread: failures do not return together
