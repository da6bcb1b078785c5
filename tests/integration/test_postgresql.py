"""The integration suite once more on PostgreSQL, when ``JUCHU_TEST_PG`` names a server (CI sets it).

The run itself starts as soon as the tests are collected and goes on beside the main run (pg_rerun.py); this
test waits for it and fails with the tail of its output.
"""

from __future__ import annotations

import pytest

from tests.integration import pg_rerun


@pytest.mark.pg
@pytest.mark.slow
def test_the_integration_suite_passes_on_postgresql() -> None:
    if not pg_rerun.url():
        pytest.skip("JUCHU_TEST_PG is not set: the integration suite runs on SQLite only (CI sets it)")

    code, tail = pg_rerun.wait(timeout=1800)

    print(tail)
    assert code == 0, f"the integration suite failed on PostgreSQL ({pg_rerun.url()}):\n{tail}"
