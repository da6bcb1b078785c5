"""RakutenPayOrderAPI shipping operations: updateOrderShipping, updateOrderShippingAsync and its getResult."""

from __future__ import annotations

import copy
import time
import uuid
from typing import TYPE_CHECKING, Any

from juchu_sandbox.rakuten.common import DELIVERY_COMPANIES, fmt_dt, message, rms_error, valid_date

if TYPE_CHECKING:
    from juchu_sandbox.rakuten.store import RakutenMall

SHIP = "ORDER_EXT_API_UPDATE_ORDERSHIPPING"
SHIP_ASYNC = "ORDER_EXT_API_UPDATE_ORDERSHIPPING_ASYNC"
SHIP_RESULT = "ORDER_EXT_API_GET_RESULT_UPDATE_ORDERSHIPPING_ASYNC"


# ---- updateOrderShipping ----------------------------------------------------------------------------------------


def _ship_msg(kind: str, code: str, text: str, data_number: int, detail_id: int | None) -> dict[str, Any]:
    return message(kind, f"{SHIP}_{code}", text, dataNumber=data_number, shippingDetailId=detail_id)


def _format_errors(baskets: list[Any]) -> list[dict[str, Any]]:
    errors = []
    n = 0
    for basket in baskets:
        for ship in (basket.get("ShippingModelList") or []) if isinstance(basket, dict) else []:
            n += 1
            detail = ship.get("shippingDetailId") if isinstance(ship, dict) else None
            if not isinstance(ship, dict):
                errors.append(_ship_msg("ERROR", "ERROR_010", "ShippingModelの値が不正です。", n, None))
                continue
            if ship.get("shippingDate") not in (None, "") and not valid_date(ship["shippingDate"]):
                errors.append(
                    _ship_msg(
                        "ERROR",
                        "ERROR_011",
                        "shippingDateの書式が不正です。",
                        n,
                        detail,
                    )
                )
            if ship.get("deliveryCompany") not in (None, "") and str(ship["deliveryCompany"]) not in DELIVERY_COMPANIES:
                errors.append(
                    _ship_msg(
                        "ERROR",
                        "ERROR_012",
                        "deliveryCompanyの値が不正です。",
                        n,
                        detail,
                    )
                )
            number = ship.get("shippingNumber")
            if number not in (None, "") and (not isinstance(number, str) or len(number) > 120):
                errors.append(
                    _ship_msg(
                        "ERROR",
                        "ERROR_013",
                        "shippingNumberは120文字以内で指定して下さい。",
                        n,
                        detail,
                    )
                )
            if ship.get("shippingDeleteFlag") not in (None, 0, 1):
                errors.append(
                    _ship_msg(
                        "ERROR",
                        "ERROR_014",
                        "shippingDeleteFlagの値が不正です。",
                        n,
                        detail,
                    )
                )
            if detail is not None and (not isinstance(detail, int) or isinstance(detail, bool)):
                errors.append(
                    _ship_msg(
                        "ERROR",
                        "ERROR_015",
                        "shippingDetailIdの値が不正です。",
                        n,
                        None,
                    )
                )
    return errors


def apply_shipping(mall: RakutenMall, number: Any, baskets: Any) -> tuple[int, list[dict[str, Any]]]:
    """Validate and apply one order's shipping records; ``(http status, MessageModelList)``. Lock held by caller."""
    if not isinstance(number, str) or not number:
        return 400, [message("ERROR", f"{SHIP}_ERROR_001", "orderNumberを指定して下さい。")]
    if not isinstance(baskets, list) or not baskets or not all(isinstance(b, dict) for b in baskets):
        return 400, [message("ERROR", f"{SHIP}_ERROR_003", "BasketidModelListを指定して下さい。")]
    errors = _format_errors(baskets)
    if errors:
        return 400, errors
    order = mall.orders.get(number)
    if order is None:
        return 400, [message("ERROR", f"{SHIP}_ERROR_002", "受注情報が存在しません。")]
    if order["orderProgress"] in (800, 900):
        return 400, [
            message(
                "ERROR",
                f"{SHIP}_ERROR_102",
                "キャンセル済みの注文のため、発送情報を更新できません。",
            )
        ]
    if order["orderProgress"] in (100, 200, 400):
        return 400, [
            message(
                "ERROR",
                f"{SHIP}_ERROR_103",
                "発送待ち以降の注文ではないため、発送情報を更新できません。",
            )
        ]
    packages = {p["basketId"]: p for p in order["PackageModelList"]}
    messages = []
    n = 0
    for basket in baskets:
        package = packages.get(basket.get("basketId"))
        for ship in basket.get("ShippingModelList") or []:
            n += 1
            detail = ship.get("shippingDetailId")
            if package is None:
                messages.append(_ship_msg("ERROR", "ERROR_104", "basketIdが存在しません。", n, detail))
                continue
            records = package.get("ShippingModelList")
            if records is None:
                records = package["ShippingModelList"] = []
            if detail is None:
                if ship.get("shippingDeleteFlag") == 1:
                    messages.append(
                        _ship_msg(
                            "ERROR",
                            "ERROR_105",
                            "削除するshippingDetailIdを指定して下さい。",
                            n,
                            None,
                        )
                    )
                    continue
                if len(records) >= 20:
                    messages.append(
                        _ship_msg(
                            "ERROR",
                            "ERROR_106",
                            "発送情報は1送付先につき20件まで登録できます。",
                            n,
                            None,
                        )
                    )
                    continue
                record = {
                    "shippingDetailId": mall.next_shipping_detail_id(),
                    "shippingNumber": None,
                    "deliveryCompany": None,
                    "deliveryCompanyName": None,
                    "shippingDate": None,
                }
                _update_record(record, ship)
                records.append(record)
                messages.append(
                    _ship_msg(
                        "INFO",
                        "INFO_101",
                        "発送情報の追加設定が完了しました。",
                        n,
                        record["shippingDetailId"],
                    )
                )
                continue
            record = next((r for r in records if r.get("shippingDetailId") == detail), None)
            if record is None:
                messages.append(
                    _ship_msg(
                        "ERROR",
                        "ERROR_107",
                        "shippingDetailIdが存在しません。",
                        n,
                        detail,
                    )
                )
            elif ship.get("shippingDeleteFlag") == 1:
                records.remove(record)
                messages.append(_ship_msg("INFO", "INFO_103", "発送情報の削除が完了しました。", n, detail))
            else:
                _update_record(record, ship)
                messages.append(
                    _ship_msg(
                        "INFO",
                        "INFO_102",
                        "発送情報の更新設定が完了しました。",
                        n,
                        detail,
                    )
                )
    live = [p for p in order["PackageModelList"] if not p.get("packageDeleteFlag")]
    if order["orderProgress"] == 300 and live and all(p.get("ShippingModelList") for p in live):
        order["shippingCmplRptDatetime"] = fmt_dt(mall.now())
        mall.set_progress(number, 500, "updateOrderShipping")
    return 200, messages


def _update_record(record: dict[str, Any], ship: dict[str, Any]) -> None:
    """Absent keys stay; present-but-empty keys clear the value."""
    for key in ("shippingNumber", "deliveryCompany", "shippingDate"):
        if key in ship:
            record[key] = None if ship[key] in (None, "") else str(ship[key])
    if "deliveryCompany" in ship:
        record["deliveryCompanyName"] = DELIVERY_COMPANIES.get(record["deliveryCompany"] or "")


def update_order_shipping(mall: RakutenMall, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    with mall.locked():
        status, messages = apply_shipping(mall, body.get("orderNumber"), body.get("BasketidModelList"))
    return status, {"MessageModelList": messages}


def update_order_shipping_async(mall: RakutenMall, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    orders = body.get("OrderShippingModelList")
    if not isinstance(orders, list) or not orders or not all(isinstance(o, dict) for o in orders):
        raise rms_error(400, f"{SHIP_ASYNC}_ERROR_001", "OrderShippingModelListを指定して下さい。")
    if len(orders) > 100:
        raise rms_error(
            400,
            f"{SHIP_ASYNC}_ERROR_002",
            "OrderShippingModelListは100件以内で指定して下さい。",
        )
    numbers = [o.get("orderNumber") for o in orders]
    if len(set(map(str, numbers))) != len(numbers):
        raise rms_error(400, f"{SHIP_ASYNC}_ERROR_003", "orderNumberが重複しています。")
    with mall.locked():
        request_id = f"{uuid.UUID(int=mall.rng.getrandbits(128))}_{mall.now():%Y%m%d%H%M%S}"
        mall.async_jobs[request_id] = {
            "due": time.monotonic() + mall.async_delay_seconds,
            "orders": copy.deepcopy(orders),
            "results": None,
        }
    mall.pump()
    return 200, {
        "MessageModelList": [
            message(
                "INFO",
                f"{SHIP_ASYNC}_INFO_101",
                "発送情報の更新を受付けました。",
                requestId=request_id,
            )
        ],
        "requestId": request_id,
    }


def run_async_job(mall: RakutenMall, job: dict[str, Any]) -> None:
    results = []
    for entry in job["orders"]:
        _status, messages = apply_shipping(mall, entry.get("orderNumber"), entry.get("BasketidModelList"))
        results.append({"orderNumber": entry.get("orderNumber"), "MessageModelList": messages})
    job["results"] = results


def get_result_async(mall: RakutenMall, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    request_id = body.get("requestId")
    with mall.locked():
        job = mall.async_jobs.get(request_id) if isinstance(request_id, str) else None
        if job is None:
            raise rms_error(400, f"{SHIP_RESULT}_ERROR_001", "requestIdが存在しません。")
        if job["results"] is None:
            return 200, {
                "MessageModelList": [
                    message(
                        "INFO",
                        f"{SHIP_RESULT}_INFO_102",
                        "処理中です。しばらくしてから再度実行して下さい。",
                    )
                ],
                "ResultShippingModelList": None,
            }
        return 200, {
            "MessageModelList": [
                message(
                    "INFO",
                    f"{SHIP_RESULT}_INFO_101",
                    "発送情報の更新結果を取得しました。",
                )
            ],
            "ResultShippingModelList": copy.deepcopy(job["results"]),
        }
