"""Generated Qoo10 carts: realistic Japanese buyers and addresses, 1–3 lines from the catalogue, a payment mix."""

from __future__ import annotations

import random
from typing import Any

from juchu_sandbox.qoo10.store import Mall
from juchu_sandbox.rakuten.data import ADDRESSES, BUILDINGS, FAMILY_NAMES, FIRST_NAMES, REMARKS

#: Payment names → (weight in the default mix, paid at once). Qoo10 Japan has no 代金引換.
PAYMENTS = {
    "クレジットカード": (0.5, True),
    "PayPay": (0.1, True),
    "atone 翌月後払い": (0.05, True),
    "コンビニ決済": (0.25, False),
    "銀行振込": (0.1, False),
}


def parse_mix(mix: Any) -> dict[str, float]:
    """``paymentMix`` ({payment name: weight}) checked against :data:`PAYMENTS`; the default when None."""
    if mix is None:
        return {name: weight for name, (weight, _paid) in PAYMENTS.items()}
    if not isinstance(mix, dict) or not mix:
        raise ValueError("paymentMix is an object {payment name: weight}")
    out: dict[str, float] = {}
    for name, weight in mix.items():
        if name not in PAYMENTS:
            raise ValueError(f"unknown payment {name!r}; known: {', '.join(PAYMENTS)}")
        if isinstance(weight, bool) or not isinstance(weight, int | float) or weight < 0:
            raise ValueError("paymentMix weights are non-negative numbers")
        out[name] = float(weight)
    if sum(out.values()) <= 0:
        raise ValueError("paymentMix weights must add up to more than 0")
    return out


def _phone(rng: random.Random) -> tuple[str, str]:
    """(receiverMobile with +81, receiverTel as dialled in Japan)."""
    mobile = f"{rng.choice(['90', '80', '70'])}-{rng.randint(0, 9999):04d}-{rng.randint(0, 9999):04d}"
    return f"+81-{mobile}", f"0{mobile}" if rng.random() < 0.5 else ""


def _person(rng: random.Random) -> dict[str, str]:
    family, family_kana = rng.choice(FAMILY_NAMES)
    first, first_kana, _sex = rng.choice(FIRST_NAMES)
    zip_code, pref, city, town, _island, _area = rng.choice(ADDRESSES)
    address = f"{pref}{city}{town}{rng.randint(1, 5)}-{rng.randint(1, 30)}-{rng.randint(1, 20)}"
    if rng.random() < 0.4:
        address += f" {rng.choice(BUILDINGS)}{rng.randint(1, 9)}0{rng.randint(1, 9)}"
    mobile, tel = _phone(rng)
    return {
        "name": f"{family} {first}",
        "kana": f"{family_kana} {first_kana}",
        "zip": f"{zip_code[:3]}-{zip_code[3:]}",
        "address": address,
        "mobile": mobile,
        "tel": tel,
    }


def new_cart(mall: Mall, rng: random.Random, mix: dict[str, float], overrides: dict[str, Any] | None = None) -> int:
    """Place one cart now (caller holds the lock): its lines, stock taken; returns the packNo."""
    if not mall.items:
        raise ValueError("the catalogue is empty: PUT /_sandbox/qoo10/catalogue first")
    names = list(mix)
    payment = rng.choices(names, weights=[mix[n] for n in names])[0]
    paid = PAYMENTS[payment][1]
    buyer = _person(rng)
    receiver = buyer if rng.random() < 0.85 else _person(rng)
    now = mall.now()
    pack_no = mall.next_pack_no
    mall.next_pack_no += 1
    offers = [(item, option) for item in mall.items.values() for option in (list(item["options"].values()) or [None])]
    chosen = rng.sample(offers, k=min(len(offers), rng.choices([1, 2, 3], weights=[6, 3, 1])[0]))
    single = len(chosen) == 1
    way = "メール便" if single and rng.random() < 0.3 else "宅配便"
    message = rng.choice(REMARKS) if rng.random() < 0.2 else ""
    mall.packs[pack_no] = []
    for item, option in chosen:
        quantity = 1 if single and way == "メール便" else rng.choices([1, 2, 3], weights=[7, 2, 1])[0]
        price = item["ItemPrice"] + (option["Price"] if option else 0)
        order_no = mall.next_order_no
        mall.next_order_no += 1
        row = {
            "sellerID": mall.credentials["user_id"],
            "orderNo": order_no,
            "packNo": pack_no,
            "buyer": buyer["name"],
            "buyer_gata": buyer["kana"],
            "buyerTel": buyer["tel"],
            "buyerMobile": buyer["mobile"],
            "buyerEmail": f"{rng.getrandbits(64):016x}@buyer.qoo10.jp",
            "itemCode": item["ItemCode"],
            "sellerItemCode": item["SellerCode"],
            "itemTitle": item["ItemTitle"],
            "option": f"{option['OptionName']}:{option['OptionValue']}" if option else "",
            "optionCode": option["OptionCode"] if option else "",
            "orderPrice": price,
            "orderQty": quantity,
            "discount": 0,
            "total": price * quantity,
            "receiver": receiver["name"],
            "receiver_gata": receiver["kana"],
            "shippingCountry": "JP",
            "zipCode": receiver["zip"],
            "shippingAddr": receiver["address"],
            "receiverTel": receiver["tel"],
            "receiverMobile": receiver["mobile"],
            "hopeDate": "",
            "ShippingWay": way,
            "ShippingMsg": message,
            "PaymentMethod": payment,
            "Gift": "",
            "Cart_Discount_Seller": 0,
            "Cart_Discount_Qoo10": 0,
            "SellerDeliveryNo": "",
            "PackingNo": "",
        }
        if overrides:
            row.update({k: v for k, v in overrides.items() if k not in ("orderNo", "packNo")})
        mall.lines[order_no] = {
            "row": row,
            "status": 2 if paid else 1,
            "claim": None,
            "orderDate": now,
            "paymentDate": now if paid else None,
            "sellerChecked": False,
            "shippingDate": None,
            "carrier": "",
            "tracking": "",
            "trackingHistory": [],
            "requestDate": None,
            "cancelRefundDate": None,
            "reason": "",
        }
        mall.packs[pack_no].append(order_no)
        mall.adjust_stock(item["SellerCode"], option["OptionCode"] if option else "", -quantity)
    return pack_no


def create_carts(
    mall: Mall, count: Any, seed: Any, payment_mix: Any, overrides: dict[str, Any] | None = None
) -> list[int]:
    """``count`` carts placed now; ``seed`` makes them repeatable."""
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 10_000:
        raise ValueError("count is an integer from 1 to 10000")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise ValueError("seed is an integer")
    mix = parse_mix(payment_mix)
    with mall.lock:
        rng = random.Random(seed) if seed is not None else mall.rng
        return [new_cart(mall, rng, mix, overrides) for _ in range(count)]
