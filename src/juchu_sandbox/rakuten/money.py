"""Order money: postage and COD fee per package, then the totals and TaxSummaryModelList they add up to."""

from __future__ import annotations

from typing import Any

UNDECIDED = -9999
COD_FEE = 330
POSTAGE = {"宅配便": 550, "メール便": 180}
FREE_SHIPPING_LINE = 3980  # 送料込みライン (宅配便 only)


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
