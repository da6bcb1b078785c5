"""Generated Yahoo! Shopping orders: Japanese buyers at real addresses, 1–3 catalogue lines, a payment mix."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from juchu_sandbox.rakuten.data import ADDRESSES, BUILDINGS, FAMILY_NAMES, FIRST_NAMES, REMARKS

#: PayMethodName → (PayMethod code, paid at once). The codes are the sandbox's choice (README).
PAYMENTS = {
    "クレジットカード決済": ("payment_a1", True),
    "PayPay残高等支払い": ("payment_a16", True),
    "銀行振込": ("payment_b1", False),
    "コンビニ決済": ("payment_c1", False),
    "商品代引": ("payment_d1", False),
}
COD = "商品代引"
PREPAID = ("銀行振込", "コンビニ決済")
DEFAULT_PAYMENT_MIX = {
    "クレジットカード決済": 0.55,
    "PayPay残高等支払い": 0.15,
    "銀行振込": 0.10,
    "コンビニ決済": 0.05,
    "商品代引": 0.15,
}
#: ShipMethod code → (ShipMethodName, postage).
SHIP_METHODS = {"postage1": ("宅配便", 700), "postage2": ("メール便", 220)}
COD_CHARGE = 330
FREE_SHIPPING_FROM = 5000
REQUEST_TIMES = ("午前中", "14:00-16:00", "16:00-18:00", "18:00-20:00", "19:00-21:00")


def parse_payment_mix(mix: Any) -> dict[str, float]:
    """``{"クレジットカード決済": 0.6, "銀行振込": 0.4}`` (PayMethodName or PayMethod code as keys)."""
    if not mix:
        return dict(DEFAULT_PAYMENT_MIX)
    if not isinstance(mix, dict):
        raise ValueError("paymentMix must be an object")
    by_code = {code: name for name, (code, _paid) in PAYMENTS.items()}
    out: dict[str, float] = {}
    for key, weight in mix.items():
        name = key if key in PAYMENTS else by_code.get(key)
        if name is None:
            raise ValueError(f"unknown payment method {key!r}; use one of {', '.join(PAYMENTS)}")
        if isinstance(weight, bool) or not isinstance(weight, int | float) or weight < 0:
            raise ValueError("paymentMix weights are non-negative numbers")
        out[name] = float(weight)
    if sum(out.values()) <= 0:
        raise ValueError("paymentMix weights must add up to more than 0")
    return out


def _person(rng: random.Random) -> dict[str, str]:
    family, family_kana = rng.choice(FAMILY_NAMES)
    first, first_kana, _sex = rng.choice(FIRST_NAMES)
    zip_code, pref, city, town, _island, area = rng.choice(ADDRESSES)
    building = f"{rng.choice(BUILDINGS)}{rng.randint(1, 9)}0{rng.randint(1, 9)}" if rng.random() < 0.4 else ""
    if rng.random() < 0.7:
        phone = f"0{rng.choice('789')}0-{rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}"
    else:
        phone = f"{area}-{rng.randint(100, 999)}-{rng.randint(1000, 9999)}"
    return {
        "LastName": family,
        "FirstName": first,
        "LastNameKana": family_kana,
        "FirstNameKana": first_kana,
        "ZipCode": zip_code,
        "Prefecture": pref,
        "City": city,
        "Address1": f"{town}{rng.randint(1, 5)}-{rng.randint(1, 30)}-{rng.randint(1, 20)}",
        "Address2": building,
        "PhoneNumber": phone,
    }


def recompute(order: dict[str, Any]) -> None:
    """Detail totals from the lines and charges."""
    detail = order["Detail"]
    goods = sum(item["UnitPrice"] * item["Quantity"] for item in order["Item"])
    detail["TotalPrice"] = (
        goods
        + detail["ShipCharge"]
        + detail["PayCharge"]
        + detail["GiftWrapCharge"]
        - detail["Discount"]
        - detail["UsePoint"]
    )


def generate_order(
    rng: random.Random, order_id: str, now: datetime, catalogue: list[dict[str, Any]], mix: dict[str, float]
) -> dict[str, Any]:
    """One order placed ``now`` as the emulator stores it (orderInfo's fields, Python values)."""
    names = list(mix)
    pay_name = rng.choices(names, weights=[mix[n] for n in names])[0]
    pay_code, paid_at_once = PAYMENTS[pay_name]
    buyer = _person(rng)
    recipient = buyer if rng.random() < 0.8 else _person(rng)
    lines = rng.sample(catalogue, k=min(len(catalogue), rng.randint(1, 3)))
    items = [
        {
            "LineId": i,
            "ItemId": row["ItemId"],
            "SubCode": row["SubCode"],
            "Title": row["Title"],
            "UnitPrice": row["UnitPrice"],
            "Quantity": rng.randint(1, 3),
        }
        for i, row in enumerate(lines, 1)
    ]
    ship_method = "postage2" if rng.random() < 0.2 else "postage1"
    ship_name, postage = SHIP_METHODS[ship_method]
    goods = sum(item["UnitPrice"] * item["Quantity"] for item in items)
    requested = rng.random() < 0.2
    mail = f"yshop{rng.randint(100000, 999999)}@example.jp"
    order: dict[str, Any] = {
        "OrderId": order_id,
        "Version": 1,
        "OrderTime": now,
        "LastUpdateTime": now,
        "IsSeen": False,
        "OrderStatus": 2,
        "CancelReason": None,
        "BuyerComments": rng.choice(REMARKS) if rng.random() < 0.15 else "",
        "Pay": {
            "PayStatus": 1 if paid_at_once else 0,
            "PayMethod": pay_code,
            "PayMethodName": pay_name,
            "PayDate": now.date() if paid_at_once else None,
            **{f"Bill{k}": v for k, v in buyer.items()},
            "BillMailAddress": mail,
        },
        "Ship": {
            "ShipStatus": 0 if pay_name in PREPAID else 1,
            "ShipMethod": ship_method,
            "ShipMethodName": ship_name,
            "ShipRequestDate": (now + timedelta(days=rng.randint(3, 7))).date() if requested else None,
            "ShipRequestTime": rng.choice(REQUEST_TIMES) if requested and ship_method == "postage1" else "",
            "ShipCompanyCode": "",
            "ShipInvoiceNumber1": "",
            "ShipInvoiceNumber2": "",
            "ShipInvoiceNumberEmptyReason": "",
            "ShipDate": None,
            **{f"Ship{k}": v for k, v in recipient.items()},
        },
        "Detail": {
            "PayCharge": COD_CHARGE if pay_name == COD else 0,
            "ShipCharge": 0 if goods >= FREE_SHIPPING_FROM else postage,
            "GiftWrapCharge": 0,
            "Discount": 0,
            "UsePoint": rng.choice((0, 0, 0, 50, 100)),
            "TotalPrice": 0,
        },
        "Item": items,
    }
    recompute(order)
    return order


def deep_merge(target: dict[str, Any], overrides: dict[str, Any]) -> None:
    """Apply raw field overrides to a generated order (nested groups merge, lists and scalars replace)."""
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            deep_merge(target[key], value)
        else:
            target[key] = value
