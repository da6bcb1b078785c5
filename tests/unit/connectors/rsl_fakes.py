"""RSL test doubles: recorded payloads from tests/fixtures/rsl and a clock that never really sleeps."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "rsl"


class FakeClock:
    """Monotonic time that moves only when something sleeps or the test advances it."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def advance(self, seconds: float) -> None:
        self.now += seconds


def load(name: str) -> Any:
    """A recorded payload: JSON parsed, anything else as bytes."""
    path = FIXTURES / name
    return json.loads(path.read_text("utf-8")) if name.endswith(".json") else path.read_bytes()
