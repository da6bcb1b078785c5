"""Why an order missed its cutoff (配送品質): its timeline as status spans, and the span that held it longest.

Pure functions over the order's status transitions and tag changes; ``juchu.domain.metrics`` re-exports them
for the delivery-quality pages.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

#: The pseudo-status of the time between ordering and import into Juchu (取込前).
BEFORE_IMPORT = "before_import"
#: Statuses in which the warehouse has the order; the others (and BEFORE_IMPORT) are before it.
AT_WAREHOUSE = frozenset({"shipping", "partially_shipped"})
#: Statuses after which nothing holds the order any more (it has shipped).
AFTER_SHIPMENT = frozenset({"shipped", "completed", "cancelled"})


@dataclass(frozen=True, slots=True)
class Transition:
    """A status change from the order's timeline."""

    at: datetime
    from_status: str
    to_status: str


@dataclass(frozen=True, slots=True)
class TagChange:
    """A tag attached (``added``) or removed, from the order's timeline."""

    at: datetime
    code: str
    added: bool


@dataclass(frozen=True, slots=True)
class StatusSpan:
    """A stretch of time the order spent in one status, with the tags it carried meanwhile."""

    status: str
    start: datetime
    end: datetime
    tags: tuple[str, ...] = ()

    @property
    def hours(self) -> float:
        """The span's length in hours."""
        return (self.end - self.start).total_seconds() / 3600


@dataclass(frozen=True, slots=True)
class HoldReason:
    """Why an order missed its cutoff: the status that held it longest, for how long, with which tags."""

    status: str
    hours: float
    tags: tuple[str, ...]
    #: True when the warehouse had the request before the cutoff and still did not ship that day.
    at_warehouse: bool


def _tags_during(changes: Sequence[TagChange], start: datetime, end: datetime) -> tuple[str, ...]:
    """Tags on the order at some moment strictly inside ``start``..``end`` (a tag added at ``end`` is not)."""
    since: dict[str, datetime] = {}
    found: set[str] = set()
    for change in sorted(changes, key=lambda c: c.at):
        if change.added:
            since.setdefault(change.code, change.at)
        elif change.code in since:
            added = since.pop(change.code)
            if added < end and change.at > start:
                found.add(change.code)
    found.update(code for code, added in since.items() if added < end)
    return tuple(sorted(found))


def status_spans(
    ordered_at: datetime,
    imported_at: datetime,
    transitions: Sequence[Transition],
    tag_changes: Sequence[TagChange],
    end: datetime,
) -> list[StatusSpan]:
    """The order's life up to ``end`` as spans: 取込前 (ordered → imported), then one span per status entered.

    The first status is the first transition's ``from_status`` (``new`` without transitions); spans after
    ``end`` are cut off and empty ones dropped.
    """
    moves = sorted(transitions, key=lambda t: t.at)
    bounds: list[tuple[str, datetime, datetime]] = []
    if imported_at > ordered_at:
        bounds.append((BEFORE_IMPORT, ordered_at, min(imported_at, end)))
    status = moves[0].from_status if moves and moves[0].from_status else "new"
    start = max(imported_at, ordered_at)
    for move in moves:
        bounds.append((status, start, move.at))
        status, start = move.to_status, move.at
    bounds.append((status, start, end))
    spans = []
    for name, begin, finish in bounds:
        finish = min(finish, end)
        if finish > begin:
            spans.append(StatusSpan(name, begin, finish, _tags_during(tag_changes, begin, finish)))
    return spans


def hold_reason(spans: Sequence[StatusSpan], deadline: datetime) -> HoldReason | None:
    """What held an order past ``deadline`` (the cutoff instant of its cutoff day).

    When it reached the warehouse (出荷作業中) by the deadline, the warehouse did not ship it that day: the
    longest warehouse span is the reason. Otherwise the longest span before the warehouse (取込前 included)
    is. Ties go to the earlier span; None without a fitting span.
    """
    at_warehouse = any(s.status in AT_WAREHOUSE and s.start <= deadline for s in spans)
    if at_warehouse:
        pool = [s for s in spans if s.status in AT_WAREHOUSE]
    else:
        pool = [s for s in spans if s.status not in AT_WAREHOUSE and s.status not in AFTER_SHIPMENT]
    if not pool:
        return None
    longest = max(pool, key=lambda s: (s.end - s.start, -s.start.timestamp()))
    return HoldReason(longest.status, longest.hours, longest.tags, at_warehouse)
