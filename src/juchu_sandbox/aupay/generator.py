"""Generated au PAY orders: realistic buyers and addresses, 1–3 lines from the catalogue, a payment mix."""

from __future__ import annotations

import random
from datetime import datetime
from typing import Any

from juchu_sandbox.aupay.xmlio import fmt_minute
from juchu_sandbox.rakuten.data import ADDRESSES, BUILDINGS, FAMILY_NAMES, FIRST_NAMES, REMARKS

#: settlementName → the paymentStatus an order starts with.
PAYMENTS = {
    "クレジットカード決済": "与信済み",
    "au PAY（auかんたん決済）": "入金済み",
    "銀行振込": "未入金",
    "コンビニ決済": "未入金",
    "代金引換": "入金不要",
    "後払い決済": "後払い審査中",
}
DEFAULT_MIX = {
    "クレジットカード決済": 55.0,
    "au PAY（auかんたん決済）": 10.0,
    "銀行振込": 10.0,
    "コンビニ決済": 8.0,
    "代金引換": 12.0,
    "後払い決済": 5.0,
}
#: deliveryMethodId → deliveryName.
DELIVERY = {"1": "宅配便", "2": "メール便"}
POSTAGE = {"1": 650, "2": 300}
COD_CHARGE = 330
REQUEST_TIMES = ("", "", "", "午前中", "14時～16時", "18時～20時", "19時～21時")


def parse_mix(mix: Any) -> dict[str, float]:
    """``paymentMix`` of the control API: settlement names with non-negative weights; ValueError if bad."""
    if mix is None:
        return dict(DEFAULT_MIX)
    if not isinstance(mix, dict) or not mix:
        raise ValueError("paymentMix is an object of settlement name → weight")
    clean: dict[str, float] = {}
    for name, weight in mix.items():
        if name not in PAYMENTS:
            raise ValueError(f"unknown settlement {name!r}; known: {', '.join(PAYMENTS)}")
        if isinstance(weight, bool) or not isinstance(weight, int | float) or weight < 0:
            raise ValueError("weights are non-negative numbers")
        clean[name] = float(weight)
    if not sum(clean.values()):
        raise ValueError("at least one weight must be positive")
    return clean


def _phone(rng: random.Random, area: str) -> str:
    if rng.random() < 0.6:
        return f"0{rng.choice('789')}0-{rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}"
    local = 6 - len(area) + 4
    return f"{area}-{rng.randint(10 ** (local - 5), 10 ** (local - 4) - 1)}-{rng.randint(1000, 9999)}"


def generate(
    rng: random.Random,
    order_id: str,
    at: datetime,
    catalogue: list[dict[str, Any]],
    mix: dict[str, float],
    detail_ids: list[int],
) -> dict[str, Any]:
    """One new order (新規受付) placed at ``at``; ``detail_ids`` hands out orderDetailIds."""
    family, first = rng.choice(FAMILY_NAMES), rng.choice(FIRST_NAMES)
    zip_code, prefecture, city, town, _island, area = rng.choice(ADDRESSES)
    address = f"{prefecture}{city}{town}{rng.randint(1, 9)}-{rng.randint(1, 30)}-{rng.randint(1, 20)}"
    if rng.random() < 0.4:
        address += f" {rng.choice(BUILDINGS)}{rng.randint(1, 9)}0{rng.randint(1, 9)}"
    settlement = rng.choices(list(mix), weights=list(mix.values()))[0]
    rows = rng.sample(catalogue, k=min(len(catalogue), rng.choice((1, 1, 1, 2, 2, 3))))
    details = []
    for row in rows:
        detail_ids[0] += 1
        details.append(
            {
                "orderDetailId": detail_ids[0],
                "itemManagementId": row["itemManagementId"],
                "itemCode": row["itemCode"],
                "itemName": row["itemName"],
                "itemOption": row["itemOption"],
                "itemPrice": row["price"],
                "unit": rng.choice((1, 1, 1, 2, 3)),
                "shippingTimelimitDate": fmt_minute(at)[:10],
            }
        )
    small = len(details) == 1 and details[0]["unit"] == 1 and settlement != "代金引換"
    method = "2" if small and rng.random() < 0.4 else "1"
    goods = sum(d["itemPrice"] * d["unit"] for d in details)
    charge = COD_CHARGE if settlement == "代金引換" else 0
    points = rng.choice((0, 0, 0, 100, 300)) if settlement != "代金引換" else 0
    total = goods + POSTAGE[method] + charge
    phone = _phone(rng, area)
    name = f"{family[0]} {first[0]}"
    kana = f"{family[1]} {first[1]}"
    return {
        "orderId": order_id,
        "orderDate": fmt_minute(at),
        "updateDate": fmt_minute(at),
        "orderStatus": "新規受付",
        "shipStatus": "未発送",
        "paymentStatus": PAYMENTS[settlement],
        "settlementName": settlement,
        "ordererName": name,
        "ordererKana": kana,
        "mailAddress": f"buyer{order_id[-6:]}@example.jp",
        "ordererPhoneNumber1": phone,
        "senderName": name,
        "senderKana": kana,
        "senderZipCode": f"{zip_code[:3]}-{zip_code[3:]}",
        "senderAddress": address,
        "senderPhoneNumber1": phone,
        "userComment": rng.choice(REMARKS) if rng.random() < 0.2 else "",
        "deliveryMethodId": method,
        "deliveryName": DELIVERY[method],
        "deliveryRequestDay": "",
        "deliveryRequestTime": rng.choice(REQUEST_TIMES) if method == "1" else "",
        "totalPrice": total,
        "postagePrice": POSTAGE[method],
        "chargePrice": charge,
        "usePoint": points,
        "couponTotalPrice": 0,
        "requestPrice": total - points,
        "shippingDate": "",
        "shippingCarrier": "",
        "shippingNumber": "",
        "detail": details,
    }
