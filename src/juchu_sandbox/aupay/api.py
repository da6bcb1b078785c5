"""The Wow!manager API at its real paths under ``/wmshopapi/``: order search, status, shipping, cancel, stock."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Awaitable, Callable
from datetime import timedelta

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from juchu_sandbox.aupay.store import OPEN, Mall
from juchu_sandbox.aupay.xmlio import (
    ApiError,
    envelope,
    error_response,
    field,
    order_info,
    parse_bound,
    parse_day,
    parse_request,
    xml_response,
)

MAX_PAGE = 1000
MAX_SPAN = timedelta(days=31)
MAX_STOCK_ITEMS = 100
MAX_STOCK = 99_999
MAX_TRACKING = 10
CARRIERS = frozenset({"1", "2", "4", "5", "6", "7", "9"})
TRACKING_RE = re.compile(r"^[0-9A-Za-z-]{1,30}$")
#: updateTradeStsProc: the statuses the shop may set, from each status.
MOVES = {
    "新規受付": {"発送前入金待ち", "発送待ち", "保留"},
    "発送前入金待ち": {"発送待ち", "保留"},
    "発送待ち": {"発送前入金待ち", "保留"},
    "保留": {"新規受付", "発送前入金待ち", "発送待ち"},
}
SETTABLE = frozenset({"新規受付", "発送前入金待ち", "発送待ち", "保留"})

Query = dict[str, str]


def _integer(value: str | None, name: str, low: int, high: int, default: int | None = None) -> int:
    if value in (None, "") and default is not None:
        return default
    if not value or not value.isdigit() or not low <= int(value) <= high:
        raise ApiError(400, "PRM0002", f"{name} は {low}〜{high} の整数で指定してください")
    return int(value)


def search_list(mall: Mall, query: Query) -> ET.Element:
    """searchTradeInfoListProc: orders whose order date (0) or update date (1) is in the window, paged."""
    mall.check_shop(query.get("shopId", ""))
    size = _integer(query.get("totalCount"), "totalCount", 1, MAX_PAGE)
    first = _integer(query.get("startCount"), "startCount", 1, 10**9, default=1)
    date_type = _integer(query.get("dateType"), "dateType", 0, 1, default=0)
    start = parse_bound(query.get("startDate"), "startDate", end=False)
    end = parse_bound(query.get("endDate"), "endDate", end=True)
    if end < start:
        raise ApiError(400, "PRM0002", "endDate は startDate 以降にしてください")
    if end.replace(hour=0, minute=0) - start > MAX_SPAN:
        raise ApiError(400, "PRM0004", "検索期間は31日以内で指定してください")
    with mall.lock:
        hits = []
        for order_id, order in mall.orders.items():
            moment = (mall.updated if date_type == 1 else mall.created)[order_id]
            if start <= moment.replace(second=0, microsecond=0) <= end:
                hits.append(order)
        hits.sort(key=lambda o: o["orderId"])
        root = envelope()
        ET.SubElement(root, "resultCount").text = str(len(hits))
        for order in hits[first - 1 : first - 1 + size]:
            order_info(root, order)
        return root


def search_one(mall: Mall, query: Query) -> ET.Element:
    """searchTradeInfoProc: one order by orderId."""
    mall.check_shop(query.get("shopId", ""))
    order_id = query.get("orderId", "")
    if not order_id:
        raise ApiError(400, "PRM0003", "orderId は必須です")
    with mall.lock:
        root = envelope()
        ET.SubElement(root, "resultCount").text = "1"
        order_info(root, mall.order(order_id))
        return root


def update_info(mall: Mall, request: ET.Element) -> ET.Element:
    """updateTradeInfoProc: ship date, carrier, tracking numbers (overwritten); the order becomes 発送済み."""
    mall.check_shop(field(request, "shopId"))
    shipped_on = parse_day(field(request, "shippingDate"), "shippingDate")
    carrier = field(request, "shippingCarrier")
    if carrier not in CARRIERS:
        raise ApiError(400, "PRM0002", f"shippingCarrier が不正です ({carrier})")
    numbers = [n.strip() for n in field(request, "shippingNumber", required=False).split(",") if n.strip()]
    if len(numbers) > MAX_TRACKING or not all(TRACKING_RE.match(n) for n in numbers):
        raise ApiError(400, "PRM0002", "shippingNumber は英数字とハイフン、カンマ区切りで10件までです")
    with mall.lock:
        order = mall.order(field(request, "orderId"))
        if order["orderStatus"] == "キャンセル":
            raise ApiError(400, "ORD0003", "キャンセルされた注文は更新できません")
        if order["orderStatus"] not in ("発送待ち", "発送済み"):
            raise ApiError(400, "ORD0002", f"注文ステータスが「{order['orderStatus']}」のため発送情報を登録できません")
        order.update(
            shippingDate=shipped_on.strftime("%Y/%m/%d"),
            shippingCarrier=carrier,
            shippingNumber=",".join(numbers),
            shipStatus="発送済み",
            orderStatus="発送済み",
        )
        mall.shipment_writes += 1
        mall.touch(order)
        return envelope()


def update_status(mall: Mall, request: ET.Element) -> ET.Element:
    """updateTradeStsProc: the shop moves an open order to another open status."""
    mall.check_shop(field(request, "shopId"))
    wanted = field(request, "orderStatus")
    if wanted not in SETTABLE:
        raise ApiError(400, "PRM0002", f"orderStatus に「{wanted}」は指定できません")
    with mall.lock:
        order = mall.order(field(request, "orderId"))
        current = order["orderStatus"]
        if current not in OPEN:
            raise ApiError(400, "ORD0002", f"注文ステータスが「{current}」のため変更できません")
        if wanted not in MOVES[current]:
            raise ApiError(400, "ORD0004", f"「{current}」から「{wanted}」には変更できません")
        order["orderStatus"] = wanted
        mall.touch(order)
        return envelope()


def cancel(mall: Mall, request: ET.Element) -> ET.Element:
    """cancelTradeProc: cancel an unshipped order with a reason (1 お客様都合, 2 在庫切れ, 3 ショップ都合)."""
    mall.check_shop(field(request, "shopId"))
    if field(request, "cancelReason") not in ("1", "2", "3"):
        raise ApiError(400, "PRM0002", "cancelReason は 1, 2, 3 のいずれかです")
    with mall.lock:
        order = mall.order(field(request, "orderId"))
        if order["orderStatus"] == "キャンセル":
            raise ApiError(400, "ORD0005", "既にキャンセルされています")
        if order["orderStatus"] not in OPEN:
            raise ApiError(400, "ORD0002", f"注文ステータスが「{order['orderStatus']}」のためキャンセルできません")
        mall.cancel(order)
        return envelope()


def update_stock(mall: Mall, request: ET.Element) -> ET.Element:
    """updateStock: absolute counts, one ``<updateResult>`` per ``<stockUpdateItem>``."""
    mall.check_shop(field(request, "shopId"))
    items = request.findall("stockUpdateItem")
    if not items or len(items) > MAX_STOCK_ITEMS:
        raise ApiError(400, "PRM0005", f"stockUpdateItem は1〜{MAX_STOCK_ITEMS}件で指定してください")
    root = envelope()
    with mall.lock:
        variants = {row["itemCode"]: bool(row["itemManagementId"]) for row in mall.catalogue}
        for item in items:
            code = field(item, "itemCode", required=False)
            management = field(item, "itemManagementId", required=False)
            error = _stock_error(item, code, management, variants)
            result = ET.SubElement(root, "updateResult")
            ET.SubElement(result, "itemCode").text = code
            ET.SubElement(result, "itemManagementId").text = management
            ET.SubElement(result, "status").text = "1" if error else "0"
            detail = ET.SubElement(result, "error")
            ET.SubElement(detail, "code").text = error[0] if error else ""
            ET.SubElement(detail, "message").text = error[1] if error else ""
            if not error:
                mall.stock[(code, management)] = int(field(item, "stockCount"))
                mall.stock_writes += 1
    return root


def _stock_error(item: ET.Element, code: str, management: str, variants: dict[str, bool]) -> tuple[str, str] | None:
    segment = field(item, "stockSegment", required=False)
    count = field(item, "stockCount", required=False)
    if not code:
        return "STK0001", "itemCode は必須です"
    if code not in variants:
        return "STK0001", f"商品が存在しません ({code})"
    if segment not in ("1", "2"):
        return "STK0002", "stockSegment は 1（通常在庫）か 2（選択肢別在庫）です"
    if (segment == "2") != variants[code] or (segment == "2") != bool(management):
        return "STK0002", "在庫タイプが商品の設定と一致しません"
    if not count.isdigit() or int(count) > MAX_STOCK:
        return "STK0003", f"stockCount は0〜{MAX_STOCK}の整数です"
    return None


def search_stocks(mall: Mall, query: Query) -> ET.Element:
    """searchStocks: the stock of the named items (``itemCode`` comma list, ≤ 100; all items when absent), paged
    like the order search; unknown codes are simply absent."""
    mall.check_shop(query.get("shopId", ""))
    size = _integer(query.get("totalCount"), "totalCount", 1, MAX_PAGE)
    first = _integer(query.get("startCount"), "startCount", 1, 10**9, default=1)
    codes = [c.strip() for c in query.get("itemCode", "").split(",") if c.strip()]
    if len(codes) > MAX_STOCK_ITEMS:
        raise ApiError(400, "PRM0005", f"itemCode は{MAX_STOCK_ITEMS}件までです")
    with mall.lock:
        items: dict[str, list[str]] = {}
        for row in mall.catalogue:
            items.setdefault(row["itemCode"], []).append(row["itemManagementId"])
        hits = sorted(code for code in items if not codes or code in codes)
        root = envelope()
        result = ET.SubElement(root, "searchResult")
        ET.SubElement(result, "maxCount").text = str(len(hits))
        for code in hits[first - 1 : first - 1 + size]:
            stock = ET.SubElement(result, "resultStocks")
            ET.SubElement(stock, "itemCode").text = code
            variants = [v for v in items[code] if v]
            ET.SubElement(stock, "stockSegment").text = "2" if variants else "1"
            if not variants:
                ET.SubElement(stock, "stockCount").text = str(mall.stock.get((code, ""), 0))
            for variant in variants:
                choice = ET.SubElement(stock, "choicesStocks")
                ET.SubElement(choice, "itemManagementId").text = variant
                ET.SubElement(choice, "choicesStockCount").text = str(mall.stock.get((code, variant), 0))
        return root


GETS: dict[str, Callable[[Mall, Query], ET.Element]] = {
    "searchTradeInfoListProc": search_list,
    "searchTradeInfoProc": search_one,
    "searchStocks": search_stocks,
}
POSTS: dict[str, Callable[[Mall, ET.Element], ET.Element]] = {
    "updateTradeInfoProc": update_info,
    "updateTradeStsProc": update_status,
    "cancelTradeProc": cancel,
    "updateStock": update_stock,
}


def _endpoint(mall: Mall, name: str) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        raw = await request.body()
        try:
            mall.gate(request.headers.get("authorization"), request.client.host if request.client else "")
            if request.method == "GET":
                root = GETS[name](mall, dict(request.query_params))
            else:
                root = POSTS[name](mall, parse_request(raw, request.headers.get("content-type", "")))
            response = xml_response(root)
        except ApiError as exc:
            response = error_response(exc)
        shown = str(request.query_params) if request.method == "GET" else raw.decode("utf-8", "replace")
        mall.record_call(request.method, request.url.path, shown, response.status_code)
        return response

    return endpoint


def routes(mall: Mall) -> list[Route]:
    """The API: GET for the searches, POST (XML) for the writes."""
    return [
        *(Route(f"/wmshopapi/{name}", _endpoint(mall, name), methods=["GET"]) for name in GETS),
        *(Route(f"/wmshopapi/{name}", _endpoint(mall, name), methods=["POST"]) for name in POSTS),
    ]
