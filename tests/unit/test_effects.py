"""The outbox's retry backoff."""

from __future__ import annotations

import pytest

from juchu.domain.effects import retry_delay_seconds


@pytest.mark.parametrize(("attempts", "seconds"), [(0, 5), (1, 5), (2, 10), (3, 20), (7, 320), (8, 600), (30, 600)])
def test_the_default_backoff_starts_at_5_seconds_and_doubles_up_to_10_minutes(attempts: int, seconds: float) -> None:
    assert retry_delay_seconds(attempts) == seconds


def test_base_and_cap_are_configurable() -> None:
    assert [retry_delay_seconds(n, base=0.5, cap=4) for n in range(1, 6)] == [0.5, 1, 2, 4, 4]
