"""Reading Qoo10 order rows: windowed searches (90-day limit, row cap) and whole carts by packNo.

Qoo10 has no paging: a search answers every row of its window. Juchu assumes an answer of ``ROW_CAP`` rows
or more may be cut short (unverified) and searches such a window again in halves, down to one second.
Searches name whole seconds in JST, both ends included, so ``[start, end)`` is sent as start … end − 1 s.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from juchu.connectors.base import ConnectorError
from juchu.connectors.malls.qoo10 import mapping, wire
from juchu.connectors.malls.qoo10.client import Qoo10Client

ROW_CAP = 500
ONE_SECOND = timedelta(seconds=1)
#: How far back a lookup by packNo searches (Qoo10's longest window).
LOOKUP_SPAN = timedelta(days=90)

Row = dict[str, Any]


def _whole_seconds(moment: datetime, *, up: bool) -> datetime:
    floored = moment.replace(microsecond=0)
    return floored + ONE_SECOND if up and floored != moment else floored


class Rows:
    """The row-reading calls of one connector."""

    def __init__(self, client: Qoo10Client) -> None:
        self.client = client

    def search(self, method: str, status: str, condition: str, start: datetime, end: datetime) -> list[Row]:
        """Every row of ``[start, end)`` by ``condition`` (GetShippingInfo_v2 or GetClaimInfo_V3)."""
        start, end = _whole_seconds(start, up=False), _whole_seconds(end, up=True)
        rows: list[Row] = []
        while start < end:
            window_end = min(end, start + wire.MAX_WINDOW)
            rows += self._window(method, status, condition, start, window_end)
            start = window_end
        return rows

    def _window(self, method: str, status: str, condition: str, start: datetime, end: datetime) -> list[Row]:
        stat_field = "ShippingStat" if method == wire.GET_SHIPPING_INFO else "ClaimStat"
        fields = {
            stat_field: status,
            "search_Sdate": wire.wire_moment(start),
            "search_Edate": wire.wire_moment(end - ONE_SECOND),
            "search_condition": condition,
        }
        rows = _rows(method, self.client.call(method, fields))
        if len(rows) >= ROW_CAP and end - start > ONE_SECOND:
            middle = _whole_seconds(start + (end - start) / 2, up=False)
            return self._window(method, status, condition, start, middle) + self._window(
                method, status, condition, middle, end
            )
        return rows

    def by_order_no(self, order_no: str) -> list[Row]:
        """GetShippingAndClaimInfoByOrderNo_V2: the row(s) of one orderNo, claim fields included."""
        return _rows(wire.GET_BY_ORDER_NO, self.client.call(wire.GET_BY_ORDER_NO, {"OrderNo": order_no}))

    def complete_carts(self, claims: Sequence[Row], known: dict[str, list[Row]]) -> dict[str, list[Row]]:
        """The carts of these claim rows with every line: claimed lines read one by one (for their address
        and claim state), the rest by an order-date search of the cart's second; ``known`` rows are kept."""
        carts: dict[str, dict[str, Row]] = {}
        for claim in claims:
            pack, order_no = mapping.pack_of(claim), mapping.order_no_of(claim)
            if not pack or not order_no:
                continue
            cart = carts.get(pack)
            if cart is None:
                cart = carts[pack] = {mapping.order_no_of(r): r for r in known.get(pack, [])}
                ordered = claim.get("orderDate")
                try:
                    moment = wire.parse_moment(ordered) if isinstance(ordered, str) else None
                except ValueError:
                    moment = None
                if moment is not None:
                    for row in self.search(
                        wire.GET_SHIPPING_INFO, wire.OPEN_STATUSES, wire.BY_ORDER_DATE, moment, moment + ONE_SECOND
                    ):
                        if mapping.pack_of(row) == pack:
                            cart.setdefault(mapping.order_no_of(row), row)
            for row in self.by_order_no(order_no):
                if mapping.order_no_of(row) == order_no:
                    cart[order_no] = row
        return {pack: list(cart.values()) for pack, cart in carts.items()}

    def carts(self, numbers: Sequence[str], now: datetime, *, with_claims: bool = True) -> dict[str, list[Row]]:
        """The rows of the named carts (packNo) ordered in the last 90 days; carts not found are absent.

        Open lines come from one search of statuses 1–3; carts not among them from the shipped (4) and
        delivered (5) searches; cancellations (``with_claims``) from the claim search, completed line by line.
        """
        wanted = set(numbers)
        start = now - LOOKUP_SPAN
        found: dict[str, list[Row]] = {}
        for status in (wire.OPEN_STATUSES, wire.SHIPPED, wire.DELIVERED):
            if status != wire.OPEN_STATUSES and wanted <= set(found):
                break
            packs, _ = mapping.group_by_pack(
                self.search(wire.GET_SHIPPING_INFO, status, wire.BY_ORDER_DATE, start, now)
            )
            for pack, rows in packs.items():
                if pack in wanted:
                    found.setdefault(pack, []).extend(rows)
        if not with_claims:
            return found
        claims = [
            row
            for row in self.search(wire.GET_CLAIM_INFO, "", wire.CLAIM_BY_ORDER_DATE, start, now)
            if mapping.pack_of(row) in wanted and _relevant_claim(row)
        ]
        return found | self.complete_carts(claims, found)


def _relevant_claim(row: Row) -> bool:
    """A cancellation (requested, in progress, done): returns and exchanges after shipping are not."""
    code = wire.status_code(row.get("claimStatus"))
    return code in wire.CANCELLED_CLAIMS or code in wire.PENDING_CLAIMS


def relevant_claims(rows: Sequence[Row]) -> list[Row]:
    """The claim rows that are cancellations."""
    return [row for row in rows if _relevant_claim(row)]


def _rows(method: str, envelope: dict[str, Any]) -> list[Row]:
    found = envelope.get("ResultObject")
    if found is None:
        return []
    if isinstance(found, dict):
        found = [found]
    if not isinstance(found, list):
        raise ConnectorError(f"Qoo10 {method}: ResultObject が配列ではありません", code="MALFORMED")
    return [row for row in found if isinstance(row, dict)]
