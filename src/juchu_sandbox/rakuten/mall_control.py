"""The control API's buyer and Rakuten actions on the mall (cancel, pay, change, confirm) and its views."""

from __future__ import annotations

import copy
from typing import Any

from juchu_sandbox.control_contract import ControlError
from juchu_sandbox.rakuten.book import OrderBook
from juchu_sandbox.rakuten.common import fmt_dt
from juchu_sandbox.rakuten.money import recompute_totals


class MallControl(OrderBook):
    """What ``/_sandbox/rakuten`` may do as the buyer or as Rakuten, and what it may look at."""

    # ---- control: buyer and Rakuten actions -------------------------------------------------------------------

    def _order(self, number: str) -> dict[str, Any]:
        order = self.orders.get(number)
        if order is None:
            raise ControlError(404, f"no order {number}")
        return order

    def buyer_cancel(self, number: str) -> dict[str, Any]:
        with self.locked():
            order = self._order(number)
            if order["orderProgress"] not in (100, 200, 300, 400):
                raise ControlError(
                    409,
                    f"order {number} is in {order['orderProgress']}; the buyer cannot cancel",
                )
            self.add_change_reason(number, 2, changeReason=1, changeReasonDetail=1)
            self.set_progress(number, 900, "buyer cancel")
            self.restore_stock(number)
            return self.snapshot(number)

    def pay(self, number: str) -> dict[str, Any]:
        with self.locked():
            order = self._order(number)
            progress = order["orderProgress"]
            if progress == 200:
                self.set_progress(number, 300, "payment received")
            elif progress == 100 and not self.meta[number]["paid"]:
                self.meta[number]["paid"] = True  # paid before the shop confirmed: confirmOrder goes to 300
            else:
                raise ControlError(409, f"order {number} is in {progress}, not awaiting payment")
            return self.snapshot(number)

    def change(self, number: str, body: dict[str, Any]) -> dict[str, Any]:
        """Buyer/Rakuten change (→ 400): ``{"units": n, "itemDetailId": optional}`` and/or ``{"sender": {...}}``."""
        with self.locked():
            order = self._order(number)
            if order["orderProgress"] not in (100, 200, 300):
                raise ControlError(
                    409,
                    f"order {number} is in {order['orderProgress']}; it cannot change",
                )
            detail = 2
            if "units" in body or "sender" not in body:
                items = [item for item, _ in self.lines(order)]
                wanted = body.get("itemDetailId")
                item = next((i for i in items if i["itemDetailId"] == wanted), None) if wanted else items[0]
                if item is None:
                    raise ControlError(404, f"no itemDetailId {wanted} in {number}")
                units = body.get("units", item["units"] + 1)
                if not isinstance(units, int) or units < 1:
                    raise ControlError(400, "units must be a positive integer")
                delta = units - item["units"]
                item["units"] = units
                self.adjust_stock(
                    item["manageNumber"],
                    self._variant(item),
                    -delta,
                    f"change {number}",
                )
                detail = 1 if delta > 0 else 0
                recompute_totals(order)
            if "sender" in body:
                if not isinstance(body["sender"], dict):
                    raise ControlError(400, "sender must be an object of SenderModel keys")
                packages = order["PackageModelList"]
                basket = body.get("basketId")
                package = next((p for p in packages if p["basketId"] == basket), None) if basket else packages[0]
                if package is None:
                    raise ControlError(404, f"no basketId {basket} in {number}")
                package["SenderModel"].update(body["sender"])
            order["modifyFlag"] = 1
            self.add_change_reason(
                number,
                4,
                changeTypeDetail=detail,
                changeReason=1,
                changeFixDatetime=None,
                changeCmplDatetime=None,
            )
            self.meta[number]["previousProgress"] = order["orderProgress"]
            self.set_progress(number, 400, "change")
            return self.snapshot(number)

    @staticmethod
    def _variant(item: dict[str, Any]) -> str:
        skus = item.get("SkuModelList") or []
        return (skus[0].get("variantId") if skus else None) or item["manageNumber"]

    def change_confirm(self, number: str) -> dict[str, Any]:
        with self.locked():
            order = self._order(number)
            if order["orderProgress"] != 400:
                raise ControlError(409, f"order {number} is in {order['orderProgress']}, not 400")
            now = fmt_dt(self.now())
            for entry in reversed(order.get("ChangeReasonModelList") or []):
                if entry["changeType"] == 4 and entry["changeFixDatetime"] is None:
                    entry["changeFixDatetime"] = entry["changeCmplDatetime"] = now
                    break
            self.add_change_reason(number, 5)
            back = self.meta[number]["previousProgress"] or 300
            self.set_progress(number, back, "change confirmed")
            return self.snapshot(number)

    # ---- control: views -------------------------------------------------------------------------------------

    def snapshot(self, number: str) -> dict[str, Any]:
        with self.locked():
            order = self._order(number)
            meta = self.meta[number]
            records = [
                {"basketId": p["basketId"], **s}
                for p in order["PackageModelList"]
                for s in (p.get("ShippingModelList") or [])
            ]
            return {
                "orderNumber": number,
                "orderProgress": order["orderProgress"],
                "shopOrderCfmDatetime": order.get("shopOrderCfmDatetime"),
                "settledAt": fmt_dt(meta["settledAt"]),
                "paid": meta["paid"],
                "shippingRecords": records,
                "history": copy.deepcopy(meta["history"]),
                "order": copy.deepcopy(order),
            }

    def list_orders(self, progress: set[int] | None = None) -> dict[str, Any]:
        with self.locked():
            counts: dict[str, int] = {}
            numbers = []
            for number, order in self.orders.items():
                counts[str(order["orderProgress"])] = counts.get(str(order["orderProgress"]), 0) + 1
                if progress is None or order["orderProgress"] in progress:
                    numbers.append(number)
            return {
                "total": len(self.orders),
                "counts": counts,
                "matched": len(numbers),
                "orderNumbers": numbers,
            }

    def stock_report(self) -> dict[str, Any]:
        with self.locked():
            stock = [
                {
                    "manageNumber": k[0],
                    "variantId": k[1],
                    "quantity": r["quantity"],
                    "updated": fmt_dt(r["updated"]),
                }
                for k, r in sorted(self.inventory.items())
            ]
            return {"stock": stock, "changes": copy.deepcopy(self.stock_changes)}
