"""Generated and hand-written Rakuten orders: the full OrderModel (superset of getOrder v7–v10); money in ``money``."""

from __future__ import annotations

import copy
import random
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from juchu_sandbox.rakuten.common import (
    DELIVERY_COMPANIES,
    SETTLEMENT_NAMES,
    fmt_date,
    fmt_dt,
)
from juchu_sandbox.rakuten.data import (
    ADDRESSES,
    BUILDINGS,
    FAMILY_NAMES,
    FIRST_NAMES,
    REMARKS,
)
from juchu_sandbox.rakuten.models import Ids, blank_order, item_model, package_model
from juchu_sandbox.rakuten.money import price_packages, recompute_totals

DEFAULT_PAYMENT_MIX = {1: 0.6, 9: 0.2, 2: 0.2}
PAYMENT_ALIASES = {
    "クレジットカード": 1,
    "card": 1,
    "銀行振込": 9,
    "bank": 9,
    "代金引換": 2,
    "cod": 2,
}


def parse_payment_mix(mix: Any) -> dict[int, float]:
    """``{"クレジットカード": 0.6, "銀行振込": 0.2, "代金引換": 0.2}`` (names, aliases or codes as keys)."""
    if not mix:
        return dict(DEFAULT_PAYMENT_MIX)
    if not isinstance(mix, dict):
        raise ValueError("paymentMix must be an object")
    out: dict[int, float] = {}
    for key, weight in mix.items():
        code = PAYMENT_ALIASES.get(key) if isinstance(key, str) and key in PAYMENT_ALIASES else None
        if code is None:
            try:
                code = int(key)
            except (TypeError, ValueError):
                raise ValueError(f"unknown payment method {key!r}") from None
        if code not in SETTLEMENT_NAMES:
            raise ValueError(f"unknown settlementMethodCode {code}")
        out[code] = float(weight)
    if sum(out.values()) <= 0:
        raise ValueError("paymentMix weights must add up to more than 0")
    return out


def _person(rng: random.Random) -> dict[str, Any]:
    family, family_kana = rng.choice(FAMILY_NAMES)
    first, first_kana, sex = rng.choice(FIRST_NAMES)
    zip_code, pref, city, town, island, area = rng.choice(ADDRESSES)
    sub = f"{town}{rng.randint(1, 5)}-{rng.randint(1, 30)}-{rng.randint(1, 20)}"
    if rng.random() < 0.4:
        sub += f" {rng.choice(BUILDINGS)}{rng.randint(1, 9)}0{rng.randint(1, 9)}"
    if rng.random() < 0.7:
        phone = (
            rng.choice(["090", "080", "070"]),
            f"{rng.randint(0, 9999):04d}",
            f"{rng.randint(0, 9999):04d}",
        )
    else:
        local = 8 - len(area) + 2  # 10-digit landline: area + local + subscriber
        phone = (
            area,
            f"{rng.randint(10 ** (local - 5), 10 ** (local - 4) - 1)}",
            f"{rng.randint(0, 9999):04d}",
        )
    return {
        "zipCode1": zip_code[:3],
        "zipCode2": zip_code[3:],
        "prefecture": pref,
        "city": city,
        "subAddress": sub,
        "familyName": family,
        "firstName": first,
        "familyNameKana": family_kana,
        "firstNameKana": first_kana,
        "phoneNumber1": phone[0],
        "phoneNumber2": phone[1],
        "phoneNumber3": phone[2],
        "_sex": sex,
        "_island": island,
    }


def _sender(person: dict[str, Any]) -> dict[str, Any]:
    keys = (
        "zipCode1",
        "zipCode2",
        "prefecture",
        "city",
        "subAddress",
        "familyName",
        "firstName",
        "familyNameKana",
    )
    sender = {k: person[k] for k in keys}
    sender.update(
        firstNameKana=person["firstNameKana"],
        phoneNumber1=person["phoneNumber1"],
        phoneNumber2=person["phoneNumber2"],
        phoneNumber3=person["phoneNumber3"],
        isolatedIslandFlag=person.get("_island", 0),
    )
    return sender


def _orderer(person: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    orderer = {k: v for k, v in person.items() if not k.startswith("_")}
    orderer["emailAddress"] = f"{rng.getrandbits(128):032x}s1@pc.fw.rakuten.ne.jp"
    orderer["sex"] = person["_sex"]
    orderer["birthYear"] = rng.randint(1950, 2004)
    orderer["birthMonth"] = rng.randint(1, 12)
    orderer["birthDay"] = rng.randint(1, 28)
    return orderer


def generate_order(
    rng: random.Random,
    *,
    order_number: str,
    ordered_at: datetime,
    catalogue: list[dict[str, Any]],
    ids: Ids,
    payment_mix: dict[int, float],
    several_senders: bool | None = None,
) -> dict[str, Any]:
    """A new order in progress 100, realistic and fully determined by ``rng``.

    ``several_senders`` forces one destination (False) or two (True); None = about 5 % have two.
    """
    codes = list(payment_mix)
    method = rng.choices(codes, weights=[payment_mix[c] for c in codes])[0]
    delivery = "宅配便" if method == 2 or rng.random() < 0.8 else "メール便"
    buyer = _person(rng)
    several = rng.random() < 0.05 and method != 2
    if several_senders is not None:
        several = several_senders
    gift = several or rng.random() < 0.08
    destinations = [buyer, _person(rng)] if several else [buyer]
    packages = []
    for person in destinations:
        lines = []
        for entry in rng.sample(catalogue, k=min(len(catalogue), rng.choice([1, 1, 1, 2, 2, 3]))):
            units = rng.choice([1, 1, 1, 2, 3]) if delivery == "宅配便" else 1
            lines.append(item_model(entry, units, ids))
        package = package_model(ids.next_basket(), _sender(person), lines, delivery)
        if gift and person is not buyer:
            package["noshi"] = "御礼"
        if delivery == "宅配便" and rng.random() < 0.15:
            package["dropOffFlag"] = 0 if method == 2 else 1
            package["dropOffLocation"] = "宅配ボックス" if package["dropOffFlag"] else None
        packages.append(package)
    remarks = "[配送日時指定:]\n\n"
    delivery_date = None
    shipping_term = 0
    if delivery == "宅配便" and rng.random() < 0.2:
        day = (ordered_at + timedelta(days=rng.randint(3, 7))).date()
        delivery_date = day.isoformat()
        shipping_term = rng.choice([0, 1, 1416, 1618, 1921])
        slot = {
            0: "",
            1: "午前中",
            1416: "14:00-16:00",
            1618: "16:00-18:00",
            1921: "19:00-21:00",
        }[shipping_term]
        weekday = "月火水木金土日"[day.weekday()]
        remarks = f"[配送日時指定:]\n{delivery_date}({weekday})\n{slot}\n"
    if rng.random() < 0.2:
        remarks += f"[備考:]\n{rng.choice(REMARKS)}"
    settlement: dict[str, Any] = {
        "settlementMethodCode": method,
        "settlementMethod": SETTLEMENT_NAMES[method],
        "rpaySettlementFlag": 1 if method == 1 else 0,
        "cardName": None,
        "cardNumber": None,
        "cardOwner": None,
        "cardYm": None,
        "cardPayType": None,
        "cardInstallmentDesc": None,
    }
    if method == 1:
        settlement.update(
            cardName=rng.choice(["VISA", "MasterCard", "JCB", "楽天カード"]),
            cardNumber=f"XXXX-XXXX-XXXX-{rng.randint(0, 9999):04d}",
            cardOwner=f"{buyer['firstNameKana']} {buyer['familyNameKana']}",
            cardYm=f"{ordered_at.year + rng.randint(1, 5)}-{rng.randint(1, 12):02d}",
            cardPayType=0,
        )
    coupons = []
    if rng.random() < 0.1:
        off = rng.choice([100, 300])
        coupons.append(
            {
                "couponCode": f"SBX{rng.randint(0, 9):d}-{rng.getrandbits(16):04X}-{rng.getrandbits(16):04X}-OFFX",
                "itemId": 0,
                "couponName": f"ショップ感謝祭 {off}円OFFクーポン",
                "couponSummary": f"定額割引 {off}円",
                "couponCapital": "ショップ",
                "couponCapitalCode": 1,
                "expiryDate": fmt_date(ordered_at + timedelta(days=30)),
                "couponPrice": off,
                "couponUnit": 1,
                "couponTotalPrice": off,
                "itemDetailId": 0,
            }
        )
    order = blank_order(order_number, ordered_at)
    order.update(
        deliveryDate=delivery_date,
        shippingTerm=shipping_term,
        remarks=remarks,
        giftCheckFlag=1 if gift else 0,
        severalSenderFlag=1 if several else 0,
        equalSenderFlag=0 if several else 1,
        isolatedIslandFlag=max(p["SenderModel"]["isolatedIslandFlag"] for p in packages),
        carrierCode=rng.choice([0, 11, 11, 12, 21]),
        OrdererModel=_orderer(buyer, rng),
        SettlementModel=settlement,
        DeliveryModel={"deliveryName": delivery, "deliveryClass": 0},
        PointModel={"usedPoint": rng.choice([0, 0, 0, 50, 100, 500])},
        WrappingModel1=(
            {
                "title": 1,
                "name": "ギフト包装（無料）",
                "price": 0,
                "includeTaxFlag": 1,
                "deleteWrappingFlag": 0,
                "taxRate": 0.1,
                "taxPrice": 0,
            }
            if gift
            else None
        ),
        PackageModelList=packages,
        CouponModelList=coupons,
    )
    price_packages(order)
    return order


def deep_merge(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """``patch`` over ``base``: dicts merge recursively; lists and scalars replace."""
    out = copy.deepcopy(base)
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def fill_order(
    given: dict[str, Any],
    *,
    order_number: str,
    now: datetime,
    ids: Ids,
    template: Callable[[], dict[str, Any]],
) -> dict[str, Any]:
    """A hand-written OrderModel with every missing key filled from a generated ``template()`` order.

    Packages and items present in ``given`` keep their values; their missing keys come from the template's first
    package/item (new basketId/itemDetailId/itemId). Money totals are recomputed unless ``given`` sets them.
    """
    base = template()
    base["orderNumber"] = order_number
    base["orderDatetime"] = fmt_dt(now)
    order = {k: copy.deepcopy(given.get(k, v)) for k, v in base.items()}
    for key, value in given.items():  # keys we do not know are kept too
        order.setdefault(key, copy.deepcopy(value))
    for model in ("OrdererModel", "SettlementModel", "DeliveryModel", "PointModel"):
        if isinstance(given.get(model), dict) and isinstance(base.get(model), dict):
            order[model] = deep_merge(base[model], given[model])
    settlement = order.get("SettlementModel") or {}
    if "SettlementModel" in given and "settlementMethod" not in given["SettlementModel"]:
        settlement["settlementMethod"] = SETTLEMENT_NAMES.get(settlement.get("settlementMethodCode"), "その他")
    template_pkg = base["PackageModelList"][0]
    template_item = template_pkg["ItemModelList"][0]
    packages = []
    for pkg in given.get("PackageModelList") or []:
        merged = {k: copy.deepcopy(pkg.get(k, v)) for k, v in template_pkg.items()}
        merged["basketId"] = pkg.get("basketId") or ids.next_basket()
        if isinstance(pkg.get("SenderModel"), dict):
            merged["SenderModel"] = deep_merge(template_pkg["SenderModel"], pkg["SenderModel"])
        elif order.get("OrdererModel"):
            merged["SenderModel"] = {k: order["OrdererModel"].get(k, v) for k, v in template_pkg["SenderModel"].items()}
        items = []
        for item in pkg.get("ItemModelList") or []:
            line = {k: copy.deepcopy(item.get(k, v)) for k, v in template_item.items()}
            line["itemDetailId"] = item.get("itemDetailId") or ids.next_item_detail()
            if "manageNumber" in item:
                line["itemId"] = item.get("itemId") or ids.item_id(item["manageNumber"])
                line.setdefault("itemNumber", item["manageNumber"])
                if "SkuModelList" not in item:
                    line["SkuModelList"] = [
                        {
                            "variantId": item["manageNumber"],
                            "merchantDefinedSkuId": None,
                            "skuInfo": None,
                        }
                    ]
            if "price" in item and "priceTaxIncl" not in item:
                line["priceTaxIncl"] = item["price"]
            items.append(line)
        merged["ItemModelList"] = items or copy.deepcopy(template_pkg["ItemModelList"])
        for ship in merged.get("ShippingModelList") or []:
            ship.setdefault("shippingDetailId", None)
            ship.setdefault(
                "deliveryCompanyName",
                DELIVERY_COMPANIES.get(str(ship.get("deliveryCompany"))),
            )
        packages.append(merged)
    if packages:
        order["PackageModelList"] = packages
    money = {
        "goodsPrice",
        "postagePrice",
        "deliveryPrice",
        "totalPrice",
        "requestPrice",
        "TaxSummaryModelList",
    }
    if not money & set(given):
        recompute_totals(order)
    return order
