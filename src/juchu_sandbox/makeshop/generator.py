"""Generated MakeShop orders: realistic buyers and addresses, 1–3 catalogue lines, one destination."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from juchu_sandbox.makeshop.common import BANK, CARD, COD, KONBINI, PAID_AT_ONCE, PAYMENT_METHODS
from juchu_sandbox.rakuten.data import ADDRESSES, BUILDINGS, FAMILY_NAMES, FIRST_NAMES, REMARKS

DEFAULT_PAYMENT_MIX = {CARD: 0.6, BANK: 0.1, KONBINI: 0.1, COD: 0.2}
PAYMENT_ALIASES = {"card": CARD, "bank": BANK, "konbini": KONBINI, "cvs": KONBINI, "cod": COD}
COD_FEE = 330
POSTAGE = {"宅配便": 650, "メール便": 200}
FREE_POSTAGE_FROM = 5000
DELIVERY_TIMES = ("", "", "午前中", "14時～16時", "16時～18時", "18時～20時", "19時～21時")


def parse_payment_mix(mix: Any) -> dict[str, float]:
    """``paymentMix`` of the control API: payment names (or card/bank/konbini/cod) → weights."""
    if mix is None:
        return dict(DEFAULT_PAYMENT_MIX)
    if not isinstance(mix, dict) or not mix:
        raise ValueError("paymentMix is an object of payment name → weight")
    out: dict[str, float] = {}
    for name, weight in mix.items():
        method = PAYMENT_ALIASES.get(str(name), str(name))
        if method not in PAYMENT_METHODS:
            raise ValueError(f"unknown payment {name!r}; use one of {', '.join(PAYMENT_METHODS)}")
        if isinstance(weight, bool) or not isinstance(weight, int | float) or weight < 0:
            raise ValueError("paymentMix weights are non-negative numbers")
        out[method] = out.get(method, 0.0) + float(weight)
    if sum(out.values()) <= 0:
        raise ValueError("paymentMix weights must add up to more than 0")
    return out


def _person(rng: random.Random) -> dict[str, str]:
    family, family_kana = rng.choice(FAMILY_NAMES)
    first, first_kana, _sex = rng.choice(FIRST_NAMES)
    zip_code, pref, city, town, _island, area = rng.choice(ADDRESSES)
    street = f"{town}{rng.randint(1, 5)}-{rng.randint(1, 30)}-{rng.randint(1, 20)}"
    if rng.random() < 0.4:
        street += f" {rng.choice(BUILDINGS)}{rng.randint(1, 9)}0{rng.randint(1, 9)}"
    if rng.random() < 0.7:
        tel = f"{rng.choice(['090', '080', '070'])}-{rng.randint(0, 9999):04d}-{rng.randint(0, 9999):04d}"
    else:
        local = 8 - len(area) + 2
        tel = f"{area}-{rng.randint(10 ** (local - 5), 10 ** (local - 4) - 1)}-{rng.randint(0, 9999):04d}"
    return {
        "name": f"{family} {first}",
        "kana": f"{family_kana} {first_kana}",
        "tel": tel,
        "zip": f"{zip_code[:3]}-{zip_code[3:]}",
        "pref": pref,
        "address1": city,
        "address2": street,
    }


def generate_order(
    rng: random.Random,
    catalogue: list[dict[str, Any]],
    payment_mix: dict[str, float],
    ordernum: str,
    now: datetime,
) -> dict[str, Any]:
    """One order placed ``now`` (README.md "Generated orders")."""
    methods = list(payment_mix)
    pay_method = rng.choices(methods, weights=[payment_mix[m] for m in methods])[0]
    rows = rng.sample(catalogue, k=min(len(catalogue), rng.choices([1, 2, 3], weights=[6, 3, 1])[0]))
    items = [
        {
            "brand_code": row["itemId"],
            "option_code": row["optionCode"],
            "option_name": row["optionName"],
            "name": row["name"],
            "price": row["price"],
            "quantity": rng.choices([1, 2, 3], weights=[7, 2, 1])[0],
        }
        for row in rows
    ]
    small = len(items) == 1 and items[0]["quantity"] == 1
    deli_method = "メール便" if small and pay_method != COD and rng.random() < 0.3 else "宅配便"
    buyer = _person(rng)
    buyer["email"] = f"buyer{rng.getrandbits(40):010x}@example.jp"
    recipient = buyer if rng.random() < 0.8 else _person(rng)
    deli_date = ""
    if deli_method == "宅配便" and rng.random() < 0.2:
        deli_date = (now + timedelta(days=rng.randint(3, 7))).date().isoformat()
    order = {
        "ordernum": ordernum,
        "order_date": now,
        "modify_date": now,
        "canceled": False,
        "cancel_date": None,
        "pay_method": pay_method,
        "paid": pay_method in PAID_AT_ONCE,
        "pay_date": now if pay_method in PAID_AT_ONCE else None,
        "use_point": rng.choice([0, 0, 0, 50, 100]),
        "memo": rng.choice(REMARKS) if rng.random() < 0.2 else "",
        "buyer": buyer,
        "deliveries": [
            {
                "deliveryid": "1",
                **{k: recipient[k] for k in ("name", "kana", "tel", "zip", "pref", "address1", "address2")},
                "deli_method": deli_method,
                "deli_date": deli_date,
                "deli_time": rng.choice(DELIVERY_TIMES) if deli_method == "宅配便" else "",
                "status": 0,
                "company": "",
                "ship_date": "",
                "slips": [],
                "items": items,
            }
        ],
    }
    recompute_totals(order)
    return order


def recompute_totals(order: dict[str, Any]) -> None:
    """Goods total, postage, COD fee and total after the lines changed."""
    delivery = order["deliveries"][0]
    goods = sum(int(i["price"]) * int(i["quantity"]) for d in order["deliveries"] for i in d["items"])
    postage = 0 if goods >= FREE_POSTAGE_FROM else POSTAGE.get(delivery["deli_method"], 650)
    order["sum_price"] = goods
    order["deli_price"] = postage
    order["cod_fee"] = COD_FEE if order["pay_method"] == COD else 0
    order["use_point"] = min(int(order["use_point"]), goods)
    order["total_price"] = goods + postage + order["cod_fee"] - order["use_point"]
