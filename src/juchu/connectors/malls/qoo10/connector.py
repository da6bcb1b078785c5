"""The Qoo10 mall connector: Juchu's MallConnector port over the QSM API (QAPI).

One Juchu order is one Qoo10 cart (``packNo``); its lines are the cart's ``orderNo`` s. Qoo10's writes act on
one ``orderNo`` each, so confirming, reporting and cancelling a cart send one call per line; the cart's
answer is ACCEPTED when every line went through (or already was in the wanted state). A shipment that carries
part of the cart (分割出荷) is reported on the ``orderNo`` s of its own lines only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta

import httpx

from juchu.connectors.base import (
    ConnectorError,
    FetchResult,
    ItemResult,
    MallOrder,
    Outcome,
    ShipmentReport,
    StockLevel,
)
from juchu.connectors.malls.qoo10 import mapping, wire
from juchu.connectors.malls.qoo10.client import Qoo10ApiError, Qoo10Client
from juchu.connectors.malls.qoo10.lookup import Row, Rows, relevant_claims
from juchu.connectors.malls.qoo10.mapping import MappingError
from juchu.connectors.malls.qoo10.stock import StockWriter, read_levels
from juchu.connectors.ratelimit import Clock

LOOKBACK = timedelta(days=14)


class Qoo10Connector:
    """Qoo10 for one shop; settings as ``Shop.connector_settings()`` gives them.

    Settings keys: ``api_key``, ``user_id``, ``password`` (required); ``base_url`` (default the QAPI root
    ``https://api.qoo10.jp/GMKT.INC.Front.QAPIService/ebayjapan.qapi``); ``rate_per_second`` (2) and
    ``rate_burst`` (4); ``timeout_seconds`` (30); ``sak_ttl_seconds`` (3000), how long a seller auth key is used.
    """

    def __init__(
        self,
        settings: Mapping[str, str],
        transport: httpx.BaseTransport | None = None,
        clock: Clock | None = None,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        self.client = Qoo10Client(settings, transport=transport, clock=clock)
        self.rows = Rows(self.client)
        self._now = now or (lambda: datetime.now(UTC))

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self.client.close()

    # ---- reading orders ----------------------------------------------------------------------------

    def fetch_new_orders(self, since: datetime | None, until: datetime) -> FetchResult:
        """Carts ordered or paid in ``[since, until)`` (statuses 1–3), and carts with a cancellation
        requested or completed in that window (GetClaimInfo_V3). ``since`` None looks back 14 days."""
        start = since if since is not None else until - LOOKBACK
        rows: list[Row] = []
        for condition in (wire.BY_ORDER_DATE, wire.BY_PAYMENT_DATE):
            rows += self.rows.search(wire.GET_SHIPPING_INFO, wire.OPEN_STATUSES, condition, start, until)
        claims: list[Row] = []
        for condition in (wire.CLAIM_BY_REQUEST_DATE, wire.CLAIM_BY_COMPLETED_DATE):
            claims += relevant_claims(self.rows.search(wire.GET_CLAIM_INFO, "", condition, start, until))
        packs, unreadable = mapping.group_by_pack(rows)
        packs |= self.rows.complete_carts(claims, packs)
        result = _orders(packs)
        errors = [
            ItemResult(f"ResultObject[{i}]", Outcome.REJECTED, "MAPPING", "packNo または orderNo のない行です")
            for i, _row in enumerate(unreadable)
        ]
        return FetchResult(result.orders, (*result.errors, *errors), cursor=until)

    def fetch_orders(self, numbers: Sequence[str]) -> FetchResult:
        """The named carts as Qoo10 now holds them (ordered in the last 90 days); others are NOT_FOUND."""
        wanted = list(dict.fromkeys(numbers))
        carts = self.rows.carts(wanted, self._now())
        result = _orders({n: carts[n] for n in wanted if n in carts})
        missing = [
            ItemResult(n, Outcome.REJECTED, "NOT_FOUND", "Qoo10 に過去90日のこのカート番号の注文がありません")
            for n in wanted
            if n not in carts
        ]
        return FetchResult(result.orders, (*result.errors, *missing))

    # ---- writing -----------------------------------------------------------------------------------

    def confirm(self, numbers: Sequence[str]) -> list[ItemResult]:
        """SetSellerCheckYN_V2 for each line of each cart in status 1–2; lines already in 3+ count as done."""
        wanted = list(dict.fromkeys(numbers))
        carts = self.rows.carts(wanted, self._now(), with_claims=False)
        results = []
        for number in wanted:
            rows = carts.get(number)
            problem = _unusable(number, rows)
            if problem is not None:
                results.append(problem)
                continue
            assert rows is not None
            todo = [r for r in _live(rows) if (wire.status_code(r.get("shippingStatus")) or 0) < 3]
            results.append(
                self._each_line(
                    number,
                    todo,
                    lambda order_no: (wire.SET_SELLER_CHECK, {"OrderNo": order_no}),
                    lambda row: (wire.status_code(row.get("shippingStatus")) or 0) >= 3,
                    {},
                )
            )
        return results

    def report_shipments(self, batch: Sequence[ShipmentReport]) -> list[ItemResult]:
        """SetSendingInfo for each line of the cart (``mall_package_id`` lists its orderNos); for a part of a
        split cart (``report.lines``), only for the orderNos whose item and option one of its lines names.

        Idempotent: SetSendingInfo overwrites the line's carrier and tracking number, and a refused resend
        (e.g. the line is already 配送完了) counts as done when Qoo10 already holds that tracking number.
        Qoo10 keeps one tracking number per line: the first parcel's is sent.
        """
        results = []
        for report in batch:
            carrier = wire.CARRIERS.get(report.carrier_code)
            if carrier is None:
                results.append(
                    ItemResult(
                        report.key,
                        Outcome.REJECTED,
                        "CARRIER",
                        f"配送会社コード {report.carrier_code} に対応する Qoo10 の配送会社がありません",
                    )
                )
                continue
            if not report.tracking_numbers:
                results.append(ItemResult(report.key, Outcome.REJECTED, "NO_TRACKING", "お問い合わせ番号がありません"))
                continue
            order_nos = [n.strip() for n in report.mall_package_id.split(",") if n.strip()]
            if not order_nos:
                results.append(
                    ItemResult(report.key, Outcome.REJECTED, "NO_LINES", "Qoo10 の注文番号 (orderNo) がありません")
                )
                continue
            data: dict[str, str] = {}
            if report.lines:
                chosen = self._order_nos_of_lines(report, order_nos)
                if isinstance(chosen, ItemResult):
                    results.append(chosen)
                    continue
                order_nos = chosen
                data["order_nos"] = ",".join(order_nos)
            tracking = report.tracking_numbers[0]
            data |= {"carrier": carrier, "tracking_number": tracking}
            if len(report.tracking_numbers) > 1:
                data["note"] = "Qoo10 は注文番号ごとにお問い合わせ番号を1つだけ保持するため、先頭の番号を送りました"
            fields = {"ShippingCorp": carrier, "TrackingNo": tracking}
            result = self._each_line(
                report.key,
                [{"orderNo": n} for n in order_nos],
                lambda order_no, fields=fields: (wire.SET_SENDING_INFO, {"OrderNo": order_no, **fields}),
                lambda row, tracking=tracking: mapping.tracking_of(row) == tracking,
                data,
            )
            results.append(result)
        return results

    def cancel(self, number: str, reason: str) -> ItemResult:
        """Claim.SetCancelProcess for each live line of the cart; ``reason`` picks the CancelReason code."""
        rows = self.rows.carts([number], self._now()).get(number)
        if not rows:
            return ItemResult(number, Outcome.REJECTED, "NOT_FOUND", "Qoo10 にこのカート番号の注文がありません")
        live = _live(rows)
        if not live:
            return ItemResult(number, Outcome.ACCEPTED, data={"note": "Qoo10 でキャンセル済みでした"})
        code = wire.CANCEL_REASONS.get(reason, "")
        fields = {"CancelReason": code, "SellerMemo": reason[:1000]}
        return self._each_line(
            number,
            live,
            lambda order_no: (wire.SET_CANCEL, {"ContrNo": order_no, **fields}),
            lambda row: wire.status_code(row.get("claimStatus")) in wire.CANCELLED_CLAIMS,
            {"reason_code": code or "(在庫なし)"},
        )

    def push_stock(self, batch: Sequence[StockLevel]) -> list[ItemResult]:
        """Per SKU: UpdateInventoryQtyUnit for ``item:option`` (option names read with GetGoodsInventoryInfo
        once per item), SetGoodsPriceQty for a bare ``item``; ``item`` is the sellerItemCode."""
        return StockWriter(self.client).push(batch)

    def read_stock(self, skus: Sequence[str]) -> list[StockLevel]:
        """Per item: GetGoodsInventoryInfo (options' ``Qty`` for ``item:option``), and for an item without
        options GetItemDetailInfo (``ItemQty`` for ``item``); items Qoo10 does not know are left out."""
        return read_levels(self.client, skus)

    # ---- helpers -----------------------------------------------------------------------------------

    def _order_nos_of_lines(self, report: ShipmentReport, order_nos: Sequence[str]) -> list[str] | ItemResult:
        """The orderNos among ``order_nos`` whose item and option one of ``report.lines`` names; an ItemResult when
        a line names none of them or a line cannot be read.

        Each orderNo is read on its own: a cart search (``Rows.carts``) stops at the open lines once it found some
        of the cart, so it would miss the lines of a part already shipped when that part is sent again.
        """
        names: dict[str, tuple[str, str]] = {}
        for order_no in order_nos:
            try:
                rows = self.rows.by_order_no(order_no)
            except Qoo10ApiError as exc:
                return ItemResult(report.key, Outcome.REJECTED, exc.code, f"注文番号 {order_no}: {exc.result_msg}")
            except ConnectorError as exc:
                if not exc.retryable:
                    raise
                return ItemResult(report.key, Outcome.RETRY, exc.code, str(exc))
            for row in rows:
                if mapping.order_no_of(row) == order_no:
                    names[order_no] = mapping.line_name(row)
        wanted = [(line.mall_item_id.strip(), line.mall_variant_id.strip()) for line in report.lines]
        missing = [name for name in dict.fromkeys(wanted) if name not in names.values()]
        if missing:
            described = ", ".join(f"{item} (オプション {option})" if option else item for item, option in missing)
            return ItemResult(
                report.key,
                Outcome.REJECTED,
                "UNKNOWN_LINE",
                f"Qoo10 のカート {report.mall_order_number} (注文番号 {', '.join(order_nos)}) に"
                f"商品 {described} の明細がないため出荷通知できません",
            )
        return [order_no for order_no in order_nos if names.get(order_no) in wanted]

    def _each_line(
        self,
        key: str,
        rows: Sequence[Row],
        request: Callable[[str], tuple[str, dict[str, str]]],
        already: Callable[[Row], bool],
        data: dict[str, str],
    ) -> ItemResult:
        """Send ``request`` for each line; a refusal is fine when the line reads back as ``already`` done."""
        for row in rows:
            order_no = mapping.order_no_of(row)
            method, fields = request(order_no)
            try:
                self.client.call(method, fields)
            except Qoo10ApiError as exc:
                if self._reads_back(order_no, already):
                    continue
                return ItemResult(key, Outcome.REJECTED, exc.code, f"注文番号 {order_no}: {exc.result_msg}", data)
            except ConnectorError as exc:
                if not exc.retryable:
                    raise
                return ItemResult(key, Outcome.RETRY, exc.code, str(exc), data)
        return ItemResult(key, Outcome.ACCEPTED, data=data)

    def _reads_back(self, order_no: str, already: Callable[[Row], bool]) -> bool:
        try:
            rows = self.rows.by_order_no(order_no)
        except ConnectorError:
            return False  # the refusal stands; the next attempt reads again
        return any(mapping.order_no_of(r) == order_no and already(r) for r in rows)


def _live(rows: Sequence[Row]) -> list[Row]:
    return [r for r in rows if wire.status_code(r.get("claimStatus")) not in wire.CANCELLED_CLAIMS]


def _unusable(number: str, rows: list[Row] | None) -> ItemResult | None:
    if not rows:
        return ItemResult(number, Outcome.REJECTED, "NOT_FOUND", "Qoo10 にこのカート番号の注文がありません")
    if not _live(rows):
        return ItemResult(number, Outcome.REJECTED, "CANCELLED", "Qoo10 でキャンセル済みの注文です")
    return None


def _orders(packs: dict[str, list[Row]]) -> FetchResult:
    orders: list[MallOrder] = []
    errors: list[ItemResult] = []
    for number, rows in packs.items():
        try:
            orders.append(mapping.to_mall_order(number, rows))
        except MappingError as exc:
            errors.append(ItemResult(number, Outcome.REJECTED, "MAPPING", str(exc), {"field": exc.field}))
    return FetchResult(tuple(orders), tuple(errors))
