"""Shipment requests and results by file, for shops that exchange CSV with RSL instead of the API.

Export takes the requests that are due, as the submit sweep would, writes them into one CSV (CP932) and
records them as handed over: the orders move to 出荷作業中. A request the file cannot carry is rejected with
its reason (出荷依頼エラー) and the rest are exported. Import reads RSL's result CSV and records each result
exactly as the collect sweep does; bad rows are listed with their row number and nothing else is lost.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from juchu.connectors.base import ItemResult, Outcome, ShipmentRequestData
from juchu.connectors.warehouses.rsl.csv_exchange import requests_to_csv, results_from_csv
from juchu.connectors.warehouses.rsl.mapping import MappingError
from juchu.fulfillment.collect import CollectResult, record_results
from juchu.fulfillment.models import Warehouse
from juchu.fulfillment.submit import claim_requests, record_answers


@dataclass(frozen=True)
class Export:
    """An exported request file and what did not fit in it."""

    data: bytes
    exported: int
    rejected: dict[str, str]


def export_requests(warehouse: Warehouse, now: datetime) -> Export:
    """Every due request of ``warehouse`` in one CSV; they count as handed over to the warehouse."""
    good: list[ShipmentRequestData] = []
    answers: dict[str, ItemResult] = {}
    while claimed := claim_requests(warehouse, now):
        for request in claimed:
            try:
                requests_to_csv([request])
            except MappingError as exc:
                answers[request.request_id] = ItemResult(request.request_id, Outcome.REJECTED, "CSV", str(exc))
                continue
            good.append(request)
            answers[request.request_id] = ItemResult(
                request.request_id, Outcome.ACCEPTED, data={"warehouse_order_id": "", "ship_by": ""}
            )
    data = requests_to_csv(good) if good else b""
    if answers:
        record_answers(answers, now)
    rejected = {key: answer.message for key, answer in answers.items() if answer.outcome is Outcome.REJECTED}
    return Export(data=data, exported=len(good), rejected=rejected)


def import_results(warehouse: Warehouse, data: bytes, now: datetime) -> tuple[CollectResult, list[str]]:
    """Record the results in an RSL result CSV; returns what was recorded and the bad rows' errors."""
    results, errors = results_from_csv(data)
    return record_results(warehouse, results, now), errors
