"""Generated and hand-written Rakuten orders: the full OrderModel (superset of getOrder v7–v10), money totals."""

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

UNDECIDED = -9999
DEFAULT_PAYMENT_MIX = {1: 0.6, 9: 0.2, 2: 0.2}
PAYMENT_ALIASES = {
    "クレジットカード": 1,
    "card": 1,
    "銀行振込": 9,
    "bank": 9,
    "代金引換": 2,
    "cod": 2,
}
COD_FEE = 330
POSTAGE = {"宅配便": 550, "メール便": 180}
FREE_SHIPPING_LINE = 3980  # 送料込みライン (宅配便 only)


class Ids:
    """Counters for Rakuten-issued ids (basketId, itemDetailId, itemId per manageNumber)."""

    def __init__(self) -> None:
        self.basket = 512340000
        self.item_detail = 512340000
        self.item_ids: dict[str, int] = {}

    def next_basket(self) -> int:
        self.basket += 1
        return self.basket

    def next_item_detail(self) -> int:
        self.item_detail += 1
        return self.item_detail

    def item_id(self, manage_number: str) -> int:
        if manage_number not in self.item_ids:
            self.item_ids[manage_number] = 10000100 + len(self.item_ids)
        return self.item_ids[manage_number]


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


def item_model(entry: dict[str, Any], units: int, ids: Ids) -> dict[str, Any]:
    """An ItemModel for one catalogue row (one SKU)."""
    price = int(entry["price"])
    rate = entry.get("taxRate", 0.1)
    variant = entry.get("variantId") or entry["manageNumber"]
    return {
        "itemDetailId": ids.next_item_detail(),
        "itemName": entry["itemName"],
        "itemId": ids.item_id(entry["manageNumber"]),
        "itemNumber": entry.get("itemNumber", entry["manageNumber"]),
        "manageNumber": entry["manageNumber"],
        "price": price,
        "units": units,
        "includePostageFlag": 0,
        "includeTaxFlag": 1,
        "includeCashOnDeliveryPostageFlag": 0,
        "selectedChoice": None,
        "pointRate": 1,
        "pointType": 0,
        "inventoryType": 2 if entry.get("skuInfo") else 1,
        "delvdateInfo": "1～2営業日以内に発送",
        "restoreInventoryFlag": 0,
        "dealFlag": 0,
        "drugFlag": 0,
        "deleteItemFlag": 0,
        "taxRate": rate,
        "priceTaxIncl": price,
        "isSingleItemShipping": 0,
        "SkuModelList": [
            {
                "variantId": variant,
                "merchantDefinedSkuId": entry.get("merchantDefinedSkuId"),
                "skuInfo": entry.get("skuInfo"),
            }
        ],
    }


def package_model(basket_id: int, sender: dict[str, Any], items: list[dict[str, Any]], delivery: str) -> dict[str, Any]:
    return {
        "basketId": basket_id,
        "postagePrice": 0,
        "postageTaxRate": 0.1,
        "deliveryPrice": 0,
        "deliveryTaxRate": 0.1,
        "goodsTax": 0,
        "goodsPrice": 0,
        "totalPrice": 0,
        "noshi": None,
        "packageDeleteFlag": 0,
        "SenderModel": sender,
        "ItemModelList": items,
        "ShippingModelList": [],
        "DeliveryCvsModel": None,
        "defaultDeliveryCompanyCode": "1003" if delivery == "メール便" else "1001",
        "dropOffFlag": 0,
        "dropOffLocation": None,
        "SocialGiftModel": None,
    }


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


def blank_order(order_number: str, ordered_at: datetime) -> dict[str, Any]:
    """Every OrderModel key (v1–v10, in the spec's order) with neutral values; models empty."""
    return {
        "orderNumber": order_number,
        "orderProgress": 100,
        "subStatusId": None,
        "subStatusName": None,
        "orderDatetime": fmt_dt(ordered_at),
        "shopOrderCfmDatetime": None,
        "orderFixDatetime": None,
        "shippingInstDatetime": None,
        "shippingCmplRptDatetime": None,
        "cancelDueDate": fmt_date(ordered_at + timedelta(days=365)),
        "deliveryDate": None,
        "shippingTerm": 0,
        "remarks": "[配送日時指定:]\n\n",
        "giftCheckFlag": 0,
        "socialGiftFlag": 0,
        "severalSenderFlag": 0,
        "equalSenderFlag": 1,
        "isolatedIslandFlag": 0,
        "rakutenMemberFlag": 1,
        "carrierCode": 0,
        "emailCarrierCode": 0,
        "orderType": 1,
        "reserveNumber": None,
        "reserveDeliveryCount": None,
        "cautionDisplayType": 0,
        "cautionDisplayDetailType": None,
        "rakutenConfirmFlag": 0,
        "goodsPrice": 0,
        "goodsTax": 0,
        "postagePrice": 0,
        "deliveryPrice": 0,
        "paymentCharge": 0,
        "paymentChargeTaxRate": 0.1,
        "totalPrice": 0,
        "requestPrice": 0,
        "couponAllTotalPrice": 0,
        "couponShopPrice": 0,
        "couponOtherPrice": 0,
        "additionalFeeOccurAmountToUser": 0,
        "additionalFeeOccurAmountToShop": 0,
        "asurakuFlag": 0,
        "drugFlag": 0,
        "dealFlag": 0,
        "membershipType": 0,
        "memo": None,
        "operator": None,
        "mailPlugSentence": None,
        "modifyFlag": 0,
        "isTaxRecalc": 0,
        "receiptIssueCount": 0,
        "receiptIssueHistoryList": [],
        "OrdererModel": None,
        "SettlementModel": None,
        "DeliveryModel": {"deliveryName": "宅配便", "deliveryClass": 0},
        "PointModel": {"usedPoint": 0},
        "WrappingModel1": None,
        "WrappingModel2": None,
        "PackageModelList": [],
        "CouponModelList": [],
        "ChangeReasonModelList": [],
        "TaxSummaryModelList": [],
        "DueDateModelList": [],
        "deliveryCertPrgFlag": 0,
        "oneDayOperationFlag": 0,
    }


def price_packages(order: dict[str, Any]) -> None:
    """Set postage and COD fee per package from the delivery method, then all totals."""
    delivery = (order.get("DeliveryModel") or {}).get("deliveryName", "宅配便")
    cod = (order.get("SettlementModel") or {}).get("settlementMethodCode") == 2
    for package in order["PackageModelList"]:
        goods = sum(i["price"] * i["units"] for i in package["ItemModelList"])
        if package["SenderModel"].get("isolatedIslandFlag"):
            package["postagePrice"] = UNDECIDED  # 離島: postage decided by the shop later
        elif delivery == "宅配便" and goods >= FREE_SHIPPING_LINE:
            package["postagePrice"] = 0
        else:
            package["postagePrice"] = POSTAGE.get(delivery, 550)
        package["deliveryPrice"] = COD_FEE if cod else 0
    recompute_totals(order)


def recompute_totals(order: dict[str, Any]) -> None:
    """Derive package and order money fields and TaxSummaryModelList from items, postage, fees, coupons, points."""
    packages = order["PackageModelList"]
    undecided = False
    by_rate: dict[float, dict[str, int]] = {}
    for package in packages:
        goods = sum(i["price"] * i["units"] for i in package["ItemModelList"] if not i.get("deleteItemFlag"))
        package["goodsPrice"] = goods
        package["goodsTax"] = 0
        postage = package["postagePrice"]
        undecided = undecided or postage == UNDECIDED or package["deliveryPrice"] == UNDECIDED
        package["totalPrice"] = UNDECIDED if postage == UNDECIDED else goods + postage
        for item in package["ItemModelList"]:
            if not item.get("deleteItemFlag"):
                bucket = by_rate.setdefault(item.get("taxRate", 0.1), {"total": 0, "charge": 0})
                bucket["total"] += item["price"] * item["units"]
        bucket = by_rate.setdefault(package.get("postageTaxRate", 0.1), {"total": 0, "charge": 0})
        bucket["total"] += max(postage, 0)
        by_rate.setdefault(package.get("deliveryTaxRate", 0.1), {"total": 0, "charge": 0})["charge"] += max(
            package["deliveryPrice"], 0
        )
    wrapping = sum(((order.get(w) or {}).get("price") or 0) for w in ("WrappingModel1", "WrappingModel2"))
    coupons = order.get("CouponModelList") or []
    coupon_total = sum(c.get("couponTotalPrice", 0) for c in coupons)
    shop_coupons = sum(c.get("couponTotalPrice", 0) for c in coupons if c.get("couponCapitalCode") == 1)
    points = (order.get("PointModel") or {}).get("usedPoint", 0) or 0
    goods = sum(p["goodsPrice"] for p in packages) + wrapping
    postage = sum(p["postagePrice"] for p in packages)
    fees = sum(p["deliveryPrice"] for p in packages)
    order.update(
        goodsPrice=goods,
        goodsTax=0,
        postagePrice=UNDECIDED if undecided else postage,
        deliveryPrice=UNDECIDED if undecided and fees < 0 else fees,
        couponAllTotalPrice=coupon_total,
        couponShopPrice=shop_coupons,
        couponOtherPrice=coupon_total - shop_coupons,
    )
    total = goods + postage
    order["totalPrice"] = UNDECIDED if undecided else total
    charge = order.get("paymentCharge", 0) + order.get("additionalFeeOccurAmountToUser", 0)
    request = total + fees + charge - coupon_total - points
    order["requestPrice"] = UNDECIDED if undecided else request
    grand = sum(b["total"] + b["charge"] for b in by_rate.values()) or 1
    summary = []
    for rate, bucket in sorted(by_rate.items(), reverse=True):
        if not bucket["total"] and not bucket["charge"]:
            continue
        coupon_share = coupon_total * (bucket["total"] + bucket["charge"]) // grand
        req = bucket["total"] + bucket["charge"] - coupon_share
        summary.append(
            {
                "taxRate": rate,
                "reqPrice": UNDECIDED if undecided else req,
                "reqPriceTax": UNDECIDED if undecided else int(req * rate / (1 + rate)),
                "totalPrice": UNDECIDED if undecided else bucket["total"],
                "paymentCharge": UNDECIDED if undecided else bucket["charge"],
                "couponPrice": coupon_share,
                "point": 0,
            }
        )
    order["TaxSummaryModelList"] = summary


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
