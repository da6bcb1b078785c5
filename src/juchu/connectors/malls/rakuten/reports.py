"""Rakuten 発送完了報告: the idempotent check against getOrder, then updateOrderShipping or its async variant."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from juchu.connectors.base import ConnectorError, ItemResult, Outcome, ShipmentReport
from juchu.connectors.malls.rakuten import mapping, wire
from juchu.connectors.malls.rakuten.client import Message, RakutenApiError, RakutenClient, messages_of
from juchu.connectors.malls.rakuten.wire import ExistingShipping
from juchu.connectors.ratelimit import Clock

UPDATE_SHIPPING = "/es/2.0/order/updateOrderShipping/"
UPDATE_SHIPPING_ASYNC = "/es/2.0/order/updateOrderShippingAsync/"
SHIPPING_ASYNC_RESULT = "/es/2.0/order/getResultUpdateOrderShippingAsync/"
ASYNC_OVER = 10  # more orders than this go through updateOrderShippingAsync
ASYNC_BATCH = 100  # orders per updateOrderShippingAsync call
POLL_INTERVAL = 1.0

#: getOrder for some order numbers: the raw OrderModels, and an error for every number not returned.
GetOrders = Callable[[Sequence[str]], tuple[list[object], list[ItemResult]]]


@dataclass
class _OrderShipping:
    """What one order's shipping report adds, and which reports ride on which basket."""

    number: str
    models: dict[str, list[dict[str, str]]] = field(default_factory=dict)  # basketId → new ShippingModels
    reports: list[tuple[ShipmentReport, str]] = field(default_factory=list)  # (report, basketId)

    def body(self) -> list[dict[str, Any]]:
        return [{"basketId": int(b), "ShippingModelList": m} for b, m in self.models.items()]


@dataclass
class ShippingReporter:
    """Sends one batch of shipping reports for a connector, reading the orders through its ``get_orders``."""

    client: RakutenClient
    clock: Clock
    get_orders: GetOrders
    #: How long to poll an async shipping update, in seconds.
    async_wait: float

    def report(self, batch: Sequence[ShipmentReport]) -> list[ItemResult]:
        """One result per report of ``batch``, in order; see :meth:`RakutenConnector.report_shipments`."""
        results: dict[str, ItemResult] = {}
        by_order: dict[str, list[ShipmentReport]] = {}
        for report in batch:
            by_order.setdefault(report.mall_order_number, []).append(report)
        raw_orders, errors = self.get_orders(list(by_order))
        raws = {mapping.order_number_of(raw): raw for raw in raw_orders if isinstance(raw, dict)}
        for error in errors:
            for report in by_order.get(error.key, []):
                results[report.key] = ItemResult(report.key, Outcome.REJECTED, error.code, error.message)
        plans = []
        for number, reports in by_order.items():
            raw = raws.get(number)
            if raw is None:
                continue
            plan = self._plan(number, reports, wire.existing_shippings(raw), results)
            if plan.models:
                plans.append(plan)
        if len(plans) > ASYNC_OVER:
            for start in range(0, len(plans), ASYNC_BATCH):
                self._report_async(plans[start : start + ASYNC_BATCH], results, sent_before=start > 0)
        else:
            self._report_sync(plans, results)
        return [results[report.key] for report in batch]

    def _plan(
        self,
        number: str,
        reports: list[ShipmentReport],
        existing: dict[str, list[ExistingShipping]],
        results: dict[str, ItemResult],
    ) -> _OrderShipping:
        plan = _OrderShipping(number)
        for report in reports:
            basket = report.mall_package_id
            if basket not in existing:
                results[report.key] = ItemResult(
                    report.key,
                    Outcome.REJECTED,
                    "BASKET_NOT_FOUND",
                    f"送付先 (basketId {basket}) が注文 {number} にありません",
                )
                continue
            planned = plan.models.get(basket, [])
            have = existing[basket] + [
                ExistingShipping(m.get("shippingNumber", ""), m["deliveryCompany"], m["shippingDate"]) for m in planned
            ]
            new = wire.new_shipping_models(report, have)
            if not new:
                results[report.key] = ItemResult(report.key, Outcome.ACCEPTED, data={"already_reported": "1"})
                continue
            if len(have) + len(new) > wire.MAX_SHIPPINGS_PER_BASKET:
                results[report.key] = ItemResult(
                    report.key,
                    Outcome.REJECTED,
                    "TOO_MANY_TRACKING_NUMBERS",
                    f"送付先ごとの発送情報は {wire.MAX_SHIPPINGS_PER_BASKET} 件までです ({len(have) + len(new)} 件)",
                )
                continue
            plan.models[basket] = planned + new
            plan.reports.append((report, basket))
        return plan

    def _report_sync(self, plans: list[_OrderShipping], results: dict[str, ItemResult]) -> None:
        for i, plan in enumerate(plans):
            try:
                answer = self.client.post(
                    UPDATE_SHIPPING, {"orderNumber": plan.number, "BasketidModelList": plan.body()}
                )
                messages = messages_of(answer)
            except RakutenApiError as exc:
                messages = exc.messages or [Message("ERROR", exc.code, str(exc))]
            except ConnectorError as exc:
                if i == 0 or not exc.retryable:
                    raise
                for rest in plans[i:]:
                    _settle(rest, results, Outcome.RETRY, exc.code, str(exc))
                return
            _apply(plan, messages, results)

    def _report_async(self, plans: list[_OrderShipping], results: dict[str, ItemResult], *, sent_before: bool) -> None:
        body = {"OrderShippingModelList": [{"orderNumber": p.number, "BasketidModelList": p.body()} for p in plans]}
        try:
            answer = self.client.post(UPDATE_SHIPPING_ASYNC, body)
        except RakutenApiError as exc:
            messages = exc.messages or [Message("ERROR", exc.code, str(exc))]
            general = next((m for m in messages if m.is_error and not m.order_number), None)
            for plan in plans:
                mine = [m for m in messages if m.order_number == plan.number and m.is_error]
                if mine:
                    _settle(plan, results, Outcome.REJECTED, mine[0].code, mine[0].text)
                elif general is not None:
                    _settle(plan, results, Outcome.REJECTED, general.code, general.text)
                else:
                    _settle(
                        plan, results, Outcome.RETRY, "NOT_APPLIED", "同じ呼び出しの他の注文がエラーのため再送します"
                    )
            return
        except ConnectorError as exc:
            if not sent_before or not exc.retryable:
                raise
            for plan in plans:
                _settle(plan, results, Outcome.RETRY, exc.code, str(exc))
            return
        request_id = answer.get("requestId")
        if not isinstance(request_id, str) or not request_id:
            error = next((m for m in messages_of(answer) if m.is_error), None)
            for plan in plans:
                if error is not None:
                    _settle(plan, results, Outcome.REJECTED, error.code, error.text)
                else:
                    _settle(plan, results, Outcome.RETRY, "ASYNC_NO_REQUEST_ID", "requestId が返されませんでした")
            return
        answers = self._poll_async(request_id, {p.number for p in plans})
        for plan in plans:
            if plan.number in answers:
                _apply(plan, answers[plan.number], results)
            else:
                _settle(
                    plan,
                    results,
                    Outcome.RETRY,
                    "ASYNC_PENDING",
                    f"非同期の発送情報更新 {request_id} の結果が {self.async_wait:g} 秒以内に返りませんでした",
                    {"request_id": request_id},
                )

    def _poll_async(self, request_id: str, numbers: set[str]) -> dict[str, list[Message]]:
        """Per-order messages of an async shipping update, as many as are ready within ``async_wait``."""
        answers: dict[str, list[Message]] = {}
        deadline = self.clock.monotonic() + self.async_wait
        while numbers - answers.keys() and self.clock.monotonic() < deadline:
            self.clock.sleep(POLL_INTERVAL)
            try:
                answer = self.client.post(SHIPPING_ASYNC_RESULT, {"requestId": request_id})
            except ConnectorError as exc:
                if exc.retryable or isinstance(exc, RakutenApiError):
                    continue  # not ready or a passing failure: ask again until the deadline
                raise
            found = answer.get("ResultShippingModelList")
            for item in found if isinstance(found, list) else []:
                if isinstance(item, dict) and item.get("orderNumber") in numbers:
                    answers[str(item["orderNumber"])] = messages_of(item)
        return answers


def _settle(
    plan: _OrderShipping,
    results: dict[str, ItemResult],
    outcome: Outcome,
    code: str,
    text: str,
    data: Mapping[str, str] | None = None,
) -> None:
    for report, _ in plan.reports:
        results[report.key] = ItemResult(report.key, outcome, code, text, dict(data or {}))


def _apply(plan: _OrderShipping, messages: list[Message], results: dict[str, ItemResult]) -> None:
    """Per-report outcome of one order's update: ERROR items reject their basket (``dataNumber`` = 1-based
    position in BasketidModelList; none or out of range = the whole order); the rest of a refused order is RETRY.
    """
    errors = [m for m in messages if m.is_error]
    if not errors:
        _settle(plan, results, Outcome.ACCEPTED, "", "")
        return
    baskets = list(plan.models)
    by_basket: dict[str, Message] = {}
    whole: Message | None = None
    for error in errors:
        if error.data_number is not None and 1 <= error.data_number <= len(baskets):
            by_basket.setdefault(baskets[error.data_number - 1], error)
        elif whole is None:
            whole = error
    for report, basket in plan.reports:
        refusal = by_basket.get(basket) or whole
        if refusal is not None:
            results[report.key] = ItemResult(report.key, Outcome.REJECTED, refusal.code, refusal.text)
        else:
            results[report.key] = ItemResult(
                report.key, Outcome.RETRY, "NOT_APPLIED", "同じ注文の他の送付先がエラーのため再送します"
            )
