"""RakutenPayOrderAPI operations (searchOrder, getOrder, confirmOrder, cancelOrder); shipping ones in ``shipping``.

Each takes the mall and the parsed JSON body and returns ``(status, body)``; request-level errors raise ``RmsError``.
"""

from __future__ import annotations

import copy
import math
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from juchu_sandbox.rakuten.common import (
    CANCEL_REASONS,
    RmsError,
    fmt_dt,
    message,
    parse_any_dt,
    parse_rms_dt,
    rms_error,
)

if TYPE_CHECKING:
    from datetime import datetime

    from juchu_sandbox.rakuten.store import RakutenMall

SEARCH = "ORDER_EXT_API_SEARCH_ORDER"
GET = "ORDER_EXT_API_GET_ORDER"
CONFIRM = "ORDER_EXT_API_CONFIRM_ORDER"
CANCEL = "ORDER_EXT_API_CANCEL_ORDER"

MAX_VERSION = 10
ORDER_KEYS_SINCE = {
    "socialGiftFlag": 10,
    "deliveryCertPrgFlag": 8,
    "oneDayOperationFlag": 8,
}
PACKAGE_KEYS_SINCE = {"dropOffFlag": 9, "dropOffLocation": 9, "SocialGiftModel": 10}
KEYS_UNTIL_7 = {"goodsTax", "isTaxRecalc"}


# ---- searchOrder ------------------------------------------------------------------------------------------------


def _search_error(code: str, text: str) -> RmsError:
    return rms_error(
        400,
        f"{SEARCH}_{code}",
        text,
        orderNumberList=None,
        PaginationResponseModel=None,
    )


def _date_for(mall: RakutenMall, number: str, order: dict[str, Any], date_type: int) -> datetime | None:
    if date_type == 1:
        return parse_any_dt(order.get("orderDatetime"))
    if date_type == 2:
        return parse_any_dt(order.get("shopOrderCfmDatetime"))
    if date_type == 3:
        return parse_any_dt(order.get("orderFixDatetime"))
    if date_type == 4:  # 発送日: the earliest shippingDate reported
        dates = [
            s.get("shippingDate")
            for p in order.get("PackageModelList") or []
            for s in p.get("ShippingModelList") or []
            if s.get("shippingDate")
        ]
        return parse_any_dt(min(dates)) if dates else None
    if date_type == 5:
        return parse_any_dt(order.get("shippingCmplRptDatetime"))
    return mall.meta[number]["settledAt"]  # 6 決済確定日: when the order reached 300


def _matches(order: dict[str, Any], body: dict[str, Any]) -> bool:
    progress = body.get("orderProgressList")
    if progress and order.get("orderProgress") not in progress:
        return False
    sub = body.get("subStatusIdList")
    if sub and not ((-1 in sub and order.get("subStatusId") is None) or order.get("subStatusId") in sub):
        return False
    types = body.get("orderTypeList")
    if types and order.get("orderType") not in types:
        return False
    method = body.get("settlementMethod")
    if method and (order.get("SettlementModel") or {}).get("settlementMethodCode") != method:
        return False
    delivery = body.get("deliveryName")
    if delivery and (order.get("DeliveryModel") or {}).get("deliveryName") != delivery:
        return False
    records = [s for p in order.get("PackageModelList") or [] for s in p.get("ShippingModelList") or []]
    if body.get("shippingDateBlankFlag") == 1 and any(s.get("shippingDate") for s in records):
        return False
    if body.get("shippingNumberBlankFlag") == 1 and any(s.get("shippingNumber") for s in records):
        return False
    if body.get("oneDayOperationFlag") == 1 and order.get("oneDayOperationFlag") != 1:
        return False
    keyword = body.get("searchKeyword")
    kind = body.get("searchKeywordType")
    if keyword and kind:
        items = [i for p in order.get("PackageModelList") or [] for i in p.get("ItemModelList") or []]
        skus = [s for i in items for s in i.get("SkuModelList") or []]
        haystack = {
            1: [i.get("itemName") or "" for i in items],
            2: [i.get("itemNumber") or "" for i in items],
            3: [order.get("memo") or ""],
            4: [
                (order.get("OrdererModel") or {}).get("familyName", "")
                + (order.get("OrdererModel") or {}).get("firstName", "")
            ],
            7: [s.get("variantId") or "" for s in skus],
            8: [s.get("merchantDefinedSkuId") or "" for s in skus],
            9: [s.get("skuInfo") or "" for s in skus],
        }.get(kind)
        if haystack is not None and not any(keyword in text for text in haystack):
            return False
    return True


def search_order(mall: RakutenMall, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    date_type = body.get("dateType")
    if date_type is None:
        raise _search_error("ERROR_009", "dateTypeの項目を指定して下さい。")
    if date_type not in (1, 2, 3, 4, 5, 6):
        raise _search_error("ERROR_012", "dateTypeの値が不正です。")
    if body.get("startDatetime") in (None, ""):
        raise _search_error("ERROR_010", "startDatetimeの値を指定して下さい。")
    start = parse_rms_dt(body["startDatetime"])
    if start is None:
        raise _search_error("ERROR_011", "startDatetimeの書式が不正です。")
    if body.get("endDatetime") in (None, ""):
        raise _search_error("ERROR_013", "endDatetimeの値を指定して下さい。")
    end = parse_rms_dt(body["endDatetime"])
    if end is None:
        raise _search_error("ERROR_014", "endDatetimeの書式が不正です。")
    if end < start:
        raise _search_error("ERROR_015", "endDatetimeはstartDatetime以降を指定して下さい。")
    if end - start > timedelta(days=63):
        raise _search_error("ERROR_016", "期間指定は63日以内で指定して下さい。")
    if start < mall.now() - timedelta(days=730):
        raise _search_error("ERROR_017", "startDatetimeは730日以内を指定して下さい。")
    paging = body.get("PaginationRequestModel") or {}
    if not isinstance(paging, dict):
        raise _search_error("ERROR_018", "PaginationRequestModelの値が不正です。")
    size = paging.get("requestRecordsAmount", 30)
    page = paging.get("requestPage", 1)
    if not isinstance(size, int) or not 1 <= size <= 1000:
        raise _search_error("ERROR_019", "requestRecordsAmountは1～1000で指定して下さい。")
    if not isinstance(page, int) or page < 1:
        raise _search_error("ERROR_020", "requestPageの値が不正です。")
    descending = any(s.get("sortDirection") == 2 for s in paging.get("SortModelList") or [] if isinstance(s, dict))
    with mall.locked():
        hits = []
        for number, order in mall.orders.items():
            at = _date_for(mall, number, order, date_type)
            if at is not None and start <= at <= end and _matches(order, body):
                hits.append((parse_any_dt(order.get("orderDatetime")), number))
    hits.sort(reverse=descending)
    if not hits:
        return 200, {
            "MessageModelList": [
                message(
                    "INFO",
                    f"{SEARCH}_INFO_102",
                    "注文検索に成功しました。(検索結果0件)",
                )
            ],
            "orderNumberList": [],
            "PaginationResponseModel": {
                "totalRecordsAmount": None,
                "totalPages": None,
                "requestPage": None,
            },
        }
    capped = [n for _, n in hits[: mall.search_cap]]
    return 200, {
        "MessageModelList": [message("INFO", f"{SEARCH}_INFO_101", "注文検索に成功しました。")],
        "orderNumberList": capped[(page - 1) * size : page * size],
        "PaginationResponseModel": {
            "totalRecordsAmount": len(hits),
            "totalPages": math.ceil(len(capped) / size),
            "requestPage": page,
        },
    }


# ---- getOrder ---------------------------------------------------------------------------------------------------


def render(order: dict[str, Any], version: int) -> dict[str, Any]:
    """The stored superset shaped for ``version``: newer keys absent, keys removed in v8 absent from v8."""
    out = copy.deepcopy(order)
    drop = {k for k, v in ORDER_KEYS_SINCE.items() if version < v}
    if version >= 8:
        drop |= KEYS_UNTIL_7
    for key in drop:
        out.pop(key, None)
    for package in out.get("PackageModelList") or []:
        for key, since in PACKAGE_KEYS_SINCE.items():
            if version < since:
                package.pop(key, None)
        if version >= 8:
            package.pop("goodsTax", None)
    return out


def get_order(mall: RakutenMall, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    numbers = body.get("orderNumberList")
    version = body.get("version")
    if isinstance(version, str) and version.isdigit():
        version = int(version)
    if version is None:
        raise rms_error(400, f"{GET}_ERROR_013", "versionを指定して下さい。")
    if not isinstance(version, int) or version < 7:
        raise rms_error(
            400,
            f"{GET}_ERROR_014",
            "versionの値が不正です。(サンドボックスはversion 7以上に対応)",
        )
    if not isinstance(numbers, list) or not numbers:
        raise rms_error(400, f"{GET}_ERROR_011", "orderNumberListを指定して下さい。")
    if len(numbers) > 100:
        raise rms_error(400, f"{GET}_ERROR_012", "orderNumberListは100件以内で指定して下さい。")
    found, missing = [], []
    with mall.locked():
        limit = mall.now() - timedelta(days=730)
        for number in numbers:
            order = mall.orders.get(number) if isinstance(number, str) else None
            if order is None or (parse_any_dt(order.get("orderDatetime")) or limit) < limit:
                missing.append(number)
            else:
                found.append(render(order, min(version, MAX_VERSION)))
    messages = []
    if found:
        messages.append(
            message(
                "INFO",
                f"{GET}_INFO_101",
                f"受注情報取得に成功しました。(取得件数{len(found)}件)",
            )
        )
    messages += [message("INFO", f"{GET}_INFO_102", "受注情報が取得できませんでした。", orderNumber=n) for n in missing]
    return 200, {
        "MessageModelList": messages,
        "OrderModelList": found,
        "version": version,
    }


# ---- confirmOrder -----------------------------------------------------------------------------------------------


def confirm_order(mall: RakutenMall, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """100 → 300 at once for card/COD/others (楽天処理中 lasts 0 s); 100 → 200 for unpaid 銀行振込."""
    numbers = body.get("orderNumberList")
    if not isinstance(numbers, list) or not numbers:
        raise rms_error(400, f"{CONFIRM}_ERROR_001", "orderNumberListを指定して下さい。")
    if len(numbers) > 100:
        raise rms_error(400, f"{CONFIRM}_ERROR_002", "orderNumberListは100件以内で指定して下さい。")
    messages = []
    with mall.locked():
        for number in numbers:
            order = mall.orders.get(number) if isinstance(number, str) else None
            if order is None:
                messages.append(
                    message(
                        "ERROR",
                        f"{CONFIRM}_ERROR_003",
                        "受注情報が存在しません。",
                        orderNumber=number,
                    )
                )
                continue
            if order["orderProgress"] != 100:
                messages.append(
                    message(
                        "ERROR",
                        f"{CONFIRM}_ERROR_004",
                        "注文確認待ちではないため、注文確認できません。",
                        orderNumber=number,
                    )
                )
                continue
            order["shopOrderCfmDatetime"] = fmt_dt(mall.now())
            mall.add_change_reason(number, 8)
            code = (order.get("SettlementModel") or {}).get("settlementMethodCode")
            if code == 9 and not mall.meta[number]["paid"]:
                mall.set_progress(number, 200, "confirmOrder (awaiting bank transfer)")
            else:
                mall.set_progress(number, 300, "confirmOrder")
            messages.append(
                message(
                    "INFO",
                    f"{CONFIRM}_INFO_101",
                    "注文確認に成功しました。",
                    orderNumber=number,
                )
            )
    return 200, {"MessageModelList": messages}


# ---- cancelOrder ------------------------------------------------------------------------------------------------


def cancel_order(mall: RakutenMall, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    number = body.get("orderNumber")
    restore = body.get("inventoryRestoreType")
    reason = body.get("changeReasonDetailApply")
    if not isinstance(number, str) or not number:
        raise rms_error(400, f"{CANCEL}_ERROR_001", "orderNumberを指定して下さい。")
    if restore not in (0, 1, 2):
        raise rms_error(400, f"{CANCEL}_ERROR_002", "inventoryRestoreTypeの値が不正です。")
    if reason not in CANCEL_REASONS:
        raise rms_error(400, f"{CANCEL}_ERROR_003", "changeReasonDetailApplyの値が不正です。")
    with mall.locked():
        order = mall.orders.get(number)
        if order is None:
            raise rms_error(400, f"{CANCEL}_ERROR_004", "受注情報が存在しません。")
        if order["orderProgress"] not in (100, 200, 300):
            raise rms_error(
                400,
                f"{CANCEL}_ERROR_005",
                "この注文ステータスではキャンセルできません。",
            )
        mall.add_change_reason(number, 2, changeReason=0 if reason >= 8 else 1, changeReasonDetail=reason)
        mall.set_progress(number, 900, "cancelOrder")
        mall.restore_stock(number, restore)
    msg = message(
        "INFO",
        f"{CANCEL}_INFO_101",
        "キャンセル申請に成功しました。",
        orderNumber=number,
    )
    return 200, {"MessageModelList": [msg]}
