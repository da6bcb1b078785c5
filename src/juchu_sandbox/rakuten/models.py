"""The building blocks of an OrderModel: Rakuten-issued ids, ItemModel, PackageModel and the blank OrderModel."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from juchu_sandbox.rakuten.common import fmt_date, fmt_dt


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
