"""Generated Amazon.co.jp orders: realistic Japanese buyers and addresses, 1–3 lines from the catalogue."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from juchu_sandbox.rakuten.data import ADDRESSES, BUILDINGS, FAMILY_NAMES, FIRST_NAMES

JP_MARKETPLACE = "A1VC38T7YXB528"
PAYMENT_METHODS = ("Other", "CVS", "COD")
DEFAULT_PAYMENT_MIX = {"Other": 0.7, "CVS": 0.15, "COD": 0.15}
PAYMENT_DETAILS = {"Other": ["Standard"], "CVS": ["CVS"], "COD": ["COD"]}
#: (ShipmentServiceLevelCategory, ShipServiceLevel, weight)
SERVICE_LEVELS = (
    ("Standard", "Std JP Kanto8", 0.7),
    ("Expedited", "Exp JP Kanto8", 0.1),
    ("NextDay", "NextDay JP", 0.05),
    ("FreeEconomy", "Econ JP Mail", 0.15),
)
COD_FEE = 330
FREE_SHIPPING_FROM = 3980
SHIPPING_FEE = 550


def wire_time(moment: datetime) -> str:
    """``2026-01-02T03:04:05Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def money(amount: int) -> dict[str, str]:
    """A ``Money`` object in yen."""
    return {"CurrencyCode": "JPY", "Amount": f"{amount}.00"}


def parse_payment_mix(mix: Any) -> dict[str, float]:
    """``{"Other": 0.7, "CVS": 0.3}`` checked; ValueError when not valid."""
    if mix is None:
        return dict(DEFAULT_PAYMENT_MIX)
    if not isinstance(mix, dict) or not mix:
        raise ValueError("paymentMix is an object {payment method: weight}")
    for name, weight in mix.items():
        if name not in PAYMENT_METHODS:
            raise ValueError(f"unknown payment method {name!r}: one of {', '.join(PAYMENT_METHODS)}")
        if isinstance(weight, bool) or not isinstance(weight, int | float) or weight < 0:
            raise ValueError("paymentMix weights are non-negative numbers")
    if sum(mix.values()) <= 0:
        raise ValueError("paymentMix needs a positive weight")
    return {str(k): float(v) for k, v in mix.items()}


def order_id(rng: random.Random) -> str:
    """A 3-7-7 AmazonOrderId as Amazon.co.jp gives them."""
    return f"503-{rng.randint(0, 9_999_999):07d}-{rng.randint(0, 9_999_999):07d}"


def _pick(rng: random.Random, weights: dict[str, float]) -> str:
    names = [n for n, w in weights.items() if w > 0]
    return rng.choices(names, weights=[weights[n] for n in names])[0]


def generate(
    rng: random.Random,
    number: str,
    rows: list[dict[str, Any]],
    payment: str,
    now: datetime,
    channel: str = "MFN",
) -> dict[str, Any]:
    """One order: ``{"order", "items", "address", "buyer"}`` in SP-API shapes (``rows`` are catalogue rows)."""
    family, _family_kana = rng.choice(FAMILY_NAMES)
    first, _kana, _sex = rng.choice(FIRST_NAMES)
    zip_code, pref, city, town, _island, _area = rng.choice(ADDRESSES)
    line1 = f"{town}{rng.randint(1, 5)}-{rng.randint(1, 30)}-{rng.randint(1, 20)}"
    line2 = f"{rng.choice(BUILDINGS)}{rng.randint(1, 9)}0{rng.randint(1, 9)}" if rng.random() < 0.4 else None
    phone = f"{rng.choice(['090', '080', '070'])}-{rng.randint(0, 9999):04d}-{rng.randint(0, 9999):04d}"
    level, service, _w = rng.choices(SERVICE_LEVELS, weights=[w for *_x, w in SERVICE_LEVELS])[0]
    chosen = rng.sample(rows, k=min(len(rows), rng.randint(1, 3)))
    items = []
    goods = 0
    for row in chosen:
        quantity = rng.randint(1, 2)
        amount = int(row["price"]) * quantity
        goods += amount
        items.append(
            {
                "ASIN": row["asin"],
                "SellerSKU": row["sku"],
                "OrderItemId": f"{rng.randint(10**13, 10**14 - 1)}",
                "Title": row["name"],
                "QuantityOrdered": quantity,
                "QuantityShipped": 0,
                "ItemPrice": money(amount),
                "ItemTax": money(amount * 10 // 110),
                "ShippingPrice": money(0),
                "PromotionDiscount": money(0),
                "IsGift": "false",
                "ConditionId": "New",
                "IsTransparency": False,
            }
        )
    shipping = 0 if goods >= FREE_SHIPPING_FROM or level == "FreeEconomy" else SHIPPING_FEE
    items[0]["ShippingPrice"] = money(shipping)
    cod_fee = COD_FEE if payment == "COD" else 0
    if cod_fee:
        items[0]["CODFee"] = money(cod_fee)
    status = "Pending" if payment == "CVS" else "Unshipped"
    stamp = wire_time(now)
    order = {
        "AmazonOrderId": number,
        "PurchaseDate": stamp,
        "LastUpdateDate": stamp,
        "OrderStatus": status,
        "FulfillmentChannel": channel,
        "SalesChannel": "Amazon.co.jp",
        "ShipServiceLevel": service,
        "OrderTotal": money(goods + shipping + cod_fee),
        "NumberOfItemsShipped": 0,
        "NumberOfItemsUnshipped": sum(i["QuantityOrdered"] for i in items),
        "PaymentMethod": payment,
        "PaymentMethodDetails": PAYMENT_DETAILS[payment],
        "MarketplaceId": JP_MARKETPLACE,
        "ShipmentServiceLevelCategory": level,
        "OrderType": "StandardOrder",
        "EarliestShipDate": stamp,
        "LatestShipDate": wire_time(now + timedelta(days=2)),
        "EarliestDeliveryDate": wire_time(now + timedelta(days=1)),
        "LatestDeliveryDate": wire_time(now + timedelta(days=4)),
        "IsBusinessOrder": False,
        "IsPrime": False,
        "IsPremiumOrder": False,
        "IsGlobalExpressEnabled": False,
        "IsReplacementOrder": "false",
        "IsSoldByAB": False,
        "IsISPU": False,
        "IsAccessPointOrder": False,
    }
    address = {
        "Name": f"{family} {first}",
        "AddressLine1": line1,
        "AddressLine2": line2,
        "City": city,
        "StateOrRegion": pref,
        "PostalCode": f"{zip_code[:3]}-{zip_code[3:]}",
        "CountryCode": "JP",
        "Phone": phone,
        "AddressType": "Residential",
    }
    buyer = {
        "BuyerEmail": f"{rng.getrandbits(64):016x}@marketplace.amazon.co.jp",
        "BuyerName": f"{family} {first}",
    }
    return {"order": order, "items": items, "address": address, "buyer": buyer}


def pick_payment(rng: random.Random, mix: dict[str, float]) -> str:
    """One payment method drawn from ``mix``."""
    return _pick(rng, mix)
