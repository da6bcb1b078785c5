"""The MakeShop shop's state and the API's operations. Thread-safe: one re-entrant lock, lazy time."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from juchu_sandbox.makeshop import common as c
from juchu_sandbox.makeshop.generator import generate_order, parse_payment_mix, recompute_totals

DEFAULT_SHOP_ID = "sandbox-shop"
DEFAULT_ORDER_TOKEN = "sandbox-order-token"
DEFAULT_PRODUCT_TOKEN = "sandbox-product-token"
DEFAULT_CATALOGUE = [
    {"itemId": "tea-01", "variantId": "tea-01-100g", "name": "静岡県産 深蒸し煎茶 100g", "price": 1080},
    {"itemId": "tea-01", "variantId": "tea-01-200g", "name": "静岡県産 深蒸し煎茶 200g", "price": 1944},
    {"itemId": "tea-03", "variantId": "tea-03", "name": "宇治抹茶 30g 缶入り", "price": 1620},
]
INITIAL_STOCK = 10_000
PAGE_LIMIT = 100
MAX_ORDERNUMS = 50
MAX_PERIOD = timedelta(days=31)
FIRST_FETCH = timedelta(hours=24)
MAX_SLIPS = 10
MAX_STOCK_ITEMS = 100
MAX_STOCK = 99_999
MAX_CALLS = 20_000


class Mall:
    """One emulated MakeShop shop: orders, products and stock, credentials, rate limits, the call log."""

    def __init__(self, seed: int = 1, *, clock: Callable[[], datetime] | None = None) -> None:
        self.lock = threading.RLock()
        self.seed = seed
        self.clock = clock or c.now_jst
        self.shop_id = DEFAULT_SHOP_ID
        self.tokens = {"order": DEFAULT_ORDER_TOKEN, "product": DEFAULT_PRODUCT_TOKEN}
        self.expired = False
        self.rate_limits = True
        self.rate_per_second = 2.0
        self.rate_burst = 10.0
        self._buckets: dict[str, tuple[float, float]] = {}
        self.orders: dict[str, dict[str, Any]] = {}
        self.catalogue: list[dict[str, Any]] = []
        self.options: dict[str, set[str]] = {}
        self.stock: dict[tuple[str, str], int] = {}
        self.order_seq = 0
        self.last_fetch: dict[str, datetime] = {}
        self.fetch_windows: dict[str, tuple[datetime, datetime]] = {}
        self.calls: list[dict[str, Any]] = []
        self.shipment_writes = 0
        self.stock_writes = 0
        self.set_catalogue(DEFAULT_CATALOGUE)

    def now(self) -> datetime:
        """The mall's clock (JST, whole seconds)."""
        return self.clock().astimezone(c.JST).replace(microsecond=0)

    # ---- checks ------------------------------------------------------------------------------------

    def check(self, api: str, shop_id: str, token: str) -> None:
        """Authentication (E001) and the per-shop rate limit of ``api`` (E009, HTTP 429)."""
        with self.lock:
            if self.expired or shop_id != self.shop_id or token != self.tokens[api]:
                raise c.ApiError(c.AUTH, "認証に失敗しました。ショップIDまたは認証コードが正しくありません")
            if not self.rate_limits:
                return
            now = time.monotonic()
            tokens, last = self._buckets.get(api, (self.rate_burst, now))
            tokens = min(self.rate_burst, tokens + (now - last) * self.rate_per_second)
            if tokens < 1:
                self._buckets[api] = (tokens, now)
                raise c.ApiError(c.RATE_LIMITED, "アクセスが集中しています。しばらくしてから再度お試しください", 429)
            self._buckets[api] = (tokens - 1, now)

    def record_call(self, method: str, path: str, cmd: str, status: int, code: str, body: str) -> None:
        """Keep a short line about one API call for ``/_sandbox/makeshop/calls``."""
        with self.lock:
            self.calls.append(
                {
                    "time": c.fmt_xml(self.now()),
                    "method": method,
                    "path": path,
                    "cmd": cmd,
                    "status": status,
                    "code": code,
                    "body": body[:300],
                }
            )
            del self.calls[:-MAX_CALLS]

    # ---- cmd=get -----------------------------------------------------------------------------------

    def get_orders(self, params: Mapping[str, str]) -> tuple[list[dict[str, Any]], int, int, int]:
        """Orders by number, by period or since the last fetch; (page's orders, total, page, limit)."""
        with self.lock:
            page, limit = _int_param(params, "page", 1, 1, 10**6), _int_param(params, "limit", PAGE_LIMIT, 1, 100)
            canceled = params.get("canceled", "")
            if canceled not in ("", "0", "1"):
                raise c.ApiError(c.BAD_PARAMETER, "canceled は 0 または 1 です")
            date_key = {"": "order_date", "order": "order_date", "modify": "modify_date"}.get(
                params.get("datetype", "")
            )
            if date_key is None:
                raise c.ApiError(c.BAD_PARAMETER, "datetype は order または modify です")
            if params.get("ordernum"):
                numbers = [n for n in params["ordernum"].split(",") if n]
                if len(numbers) > MAX_ORDERNUMS:
                    raise c.ApiError(c.TOO_MANY, f"ordernum は {MAX_ORDERNUMS} 件までです")
                found = [self.orders[n] for n in dict.fromkeys(numbers) if n in self.orders]
            else:
                start, end = self._window(params, page)
                found = [o for o in self.orders.values() if start <= o[date_key] <= end]
                found.sort(key=lambda o: (o[date_key], o["ordernum"]))
            if canceled:
                found = [o for o in found if o["canceled"] == (canceled == "1")]
            return found[(page - 1) * limit : page * limit], len(found), page, limit

    def _window(self, params: Mapping[str, str], page: int) -> tuple[datetime, datetime]:
        now = self.now()
        if params.get("start") or params.get("end"):
            if not params.get("start"):
                raise c.ApiError(c.BAD_PARAMETER, "end だけを指定することはできません")
            start = c.parse_param(params["start"], "start")
            end = c.parse_param(params["end"], "end") if params.get("end") else now
            if end < start:
                raise c.ApiError(c.BAD_PARAMETER, "end が start より前です")
            if end - start > MAX_PERIOD:
                raise c.ApiError(c.BAD_PARAMETER, "期間は31日以内で指定してください")
            return start, end
        # 前回取得時からの差分: page 1 moves this token's marker to now; later pages reuse the window.
        key = self.tokens["order"]
        if page > 1 and key in self.fetch_windows:
            return self.fetch_windows[key]
        window = (self.last_fetch.get(key, now - FIRST_FETCH), now)
        self.last_fetch[key] = now + timedelta(seconds=1)
        self.fetch_windows[key] = window
        return window

    # ---- cmd=status / cmd=cancel -------------------------------------------------------------------

    def _order(self, number: str) -> dict[str, Any]:
        if not number:
            raise c.ApiError(c.BAD_PARAMETER, "ordernum を指定してください")
        order = self.orders.get(number)
        if order is None:
            raise c.ApiError(c.NO_ORDER, f"注文番号 {number} は存在しません")
        return order

    def set_status(self, params: Mapping[str, str]) -> dict[str, object]:
        """Change one destination's delivery status; company, slip numbers and ship date are overwritten."""
        with self.lock:
            order = self._order(params.get("ordernum", ""))
            delivery_id = params.get("deliveryid") or ""
            delivery = next((d for d in order["deliveries"] if d["deliveryid"] == delivery_id), None)
            if delivery is None:
                raise c.ApiError(c.NO_DELIVERY, f"配送先ID {delivery_id or '(なし)'} は存在しません")
            status = params.get("status", "")
            if status not in ("0", "1", "2"):
                raise c.ApiError(c.BAD_PARAMETER, "status は 0, 1, 2 のいずれかです")
            if order["canceled"]:
                raise c.ApiError(c.WRONG_STATE, "キャンセルされた注文の配送ステータスは変更できません")
            if delivery["status"] == c.SHIPPED and int(status) < c.SHIPPED:
                raise c.ApiError(c.WRONG_STATE, "発送済の配送先を未発送に戻すことはできません")
            company = params.get("company")
            if company is not None and company not in ("", *c.CARRIERS):
                raise c.ApiError(c.BAD_PARAMETER, f"company {company} は配送会社コードではありません")
            slips = params.get("slipno")
            slip_list = [s for s in slips.split(",") if s] if slips is not None else None
            if slip_list is not None and (len(slip_list) > MAX_SLIPS or not all(c.SLIP_RE.match(s) for s in slip_list)):
                raise c.ApiError(c.BAD_PARAMETER, f"slipno は英数字とハイフン30文字以内、{MAX_SLIPS}件までです")
            ship_date = params.get("ship_date")
            if ship_date:
                try:
                    ship_date = datetime.strptime(ship_date, "%Y%m%d").replace(tzinfo=c.JST).date().isoformat()
                except ValueError:
                    raise c.ApiError(c.BAD_PARAMETER, "ship_date は yyyymmdd で指定してください") from None
            delivery["status"] = int(status)
            if company is not None:
                delivery["company"] = company
            if slip_list is not None:
                delivery["slips"] = slip_list
            if ship_date is not None:
                delivery["ship_date"] = ship_date
            if delivery["status"] == c.SHIPPED and not delivery["ship_date"]:
                delivery["ship_date"] = self.now().date().isoformat()
            if delivery["status"] == c.SHIPPED:
                self.shipment_writes += 1
            order["modify_date"] = self.now()
            return {"deliveryid": delivery_id, "status": delivery["status"]}

    def cancel(self, number: str) -> dict[str, Any]:
        """Cancel an order that has not shipped: E005 when already cancelled, E004 once shipped."""
        with self.lock:
            order = self._order(number)
            if order["canceled"]:
                raise c.ApiError(c.ALREADY_CANCELLED, f"注文番号 {number} は既にキャンセルされています")
            if any(d["status"] == c.SHIPPED for d in order["deliveries"]):
                raise c.ApiError(c.WRONG_STATE, f"注文番号 {number} は発送済のためキャンセルできません")
            order["canceled"] = True
            order["cancel_date"] = order["modify_date"] = self.now()
            for delivery in order["deliveries"]:
                for item in delivery["items"]:
                    self.adjust_stock(item["brand_code"], item["option_code"], int(item["quantity"]))
            return order

    # ---- product API: cmd=stock --------------------------------------------------------------------

    def set_stock(self, items: list[dict[str, str]]) -> list[dict[str, str]]:
        """Absolute stock per product (+ option); one answer per item, one bad item never fails the rest."""
        if len(items) > MAX_STOCK_ITEMS:
            raise c.ApiError(c.TOO_MANY, f"一度に更新できるのは {MAX_STOCK_ITEMS} 件までです")
        answers = []
        with self.lock:
            for item in items:
                code, option, raw = item.get("brand_code", ""), item.get("option_code", ""), item.get("stock", "")
                answer = {"brand_code": code, "option_code": option, "result": "NG", "stock": raw}
                options = self.options.get(code)
                if options is None:
                    answer |= {"code": c.NO_PRODUCT, "message": f"商品 {code} は存在しません"}
                elif option not in options:
                    wanted = (
                        "オプションコードを指定してください" if not option else f"オプション {option} は存在しません"
                    )
                    answer |= {"code": c.NO_OPTION, "message": wanted}
                elif not raw.isdigit() or int(raw) > MAX_STOCK:
                    answer |= {"code": c.BAD_STOCK, "message": f"在庫数は 0〜{MAX_STOCK} の整数です"}
                else:
                    self.stock[code, option] = int(raw)
                    self.stock_writes += 1
                    answer |= {"result": "OK", "stock": str(int(raw))}
                answers.append(answer)
        return answers

    def stock_levels(self, codes_param: str) -> list[dict[str, str]]:
        """The stock read (``GET cmd=stock&brand_code=a,b``): per known product, in the order asked, one entry per
        stock holder — the product itself, or each option sorted by code; unknown products are absent."""
        codes = list(dict.fromkeys(code.strip() for code in codes_param.split(",") if code.strip()))
        if not codes:
            raise c.ApiError(c.BAD_PARAMETER, "brand_code を1件以上指定してください")
        if len(codes) > MAX_STOCK_ITEMS:
            raise c.ApiError(c.TOO_MANY, f"一度に照会できるのは {MAX_STOCK_ITEMS} 件までです")
        with self.lock:
            return [
                {"brand_code": code, "option_code": option, "stock": str(self.stock.get((code, option), 0))}
                for code in codes
                if code in self.options
                for option in sorted(self.options[code])
            ]

    def set_stock_by_hand(self, body: Any) -> None:
        """The shop changes quantities in the MakeShop admin: ``{"brand_code[:option_code]": n}``, all or nothing.

        ValueError for a bad quantity, KeyError naming the keys that are no product or option; not a stock write.
        """
        if not isinstance(body, dict) or not body:
            raise ValueError("expected {brand_code or brand_code:option_code: quantity, …}")
        changes: dict[tuple[str, str], int] = {}
        for key, quantity in body.items():
            if isinstance(quantity, bool) or not isinstance(quantity, int) or not 0 <= quantity <= MAX_STOCK:
                raise ValueError(f"{key}: the quantity is an integer from 0 to {MAX_STOCK}")
            code, _, option = str(key).partition(":")
            changes[code, option] = quantity
        with self.lock:
            unknown = [f"{k}:{o}" if o else k for k, o in changes if o not in self.options.get(k, set())]
            if unknown:
                raise KeyError(", ".join(unknown))
            self.stock.update(changes)

    # ---- state used by the control API -------------------------------------------------------------

    def set_catalogue(self, rows: list[dict[str, Any]]) -> None:
        """What generated orders sell: itemId = 商品コード, variantId = オプションコード (none when equal)."""
        catalogue = []
        for row in rows:
            if not isinstance(row, dict) or not row.get("itemId") or not isinstance(row.get("price"), int):
                raise ValueError("each row needs itemId (string), variantId, name and price (integer)")
            item, variant = str(row["itemId"]), str(row.get("variantId") or "")
            option = "" if variant in ("", item) else variant
            name = str(row.get("name") or item)
            catalogue.append(
                {"itemId": item, "optionCode": option, "optionName": option, "name": name, "price": row["price"]}
            )
        with self.lock:
            self.catalogue = catalogue
            for row in catalogue:
                self.options.setdefault(row["itemId"], set()).add(row["optionCode"])
                self.stock.setdefault((row["itemId"], row["optionCode"]), INITIAL_STOCK)

    def adjust_stock(self, code: str, option: str, delta: int) -> None:
        """Stock moves with orders, cancellations and changes; never below 0."""
        with self.lock:
            key = (code, option)
            self.stock[key] = max(0, self.stock.get(key, 0) + delta)

    def create_orders(self, count: int, seed: int, payment_mix: Any, overrides: dict[str, Any] | None) -> list[str]:
        """Generated orders placed now; ``overrides`` patches the raw order (control ``order``)."""
        mix = parse_payment_mix(payment_mix)
        rng = random.Random(seed)
        numbers = []
        with self.lock:
            if not self.catalogue:
                raise ValueError("the catalogue is empty")
            for _ in range(count):
                now = self.now()
                self.order_seq += 1
                number = f"{now:%Y%m%d}{self.seed:02d}{self.order_seq:06d}"
                order = generate_order(rng, self.catalogue, mix, number, now)
                if overrides:
                    _patch(order, overrides)
                    recompute_totals(order)
                self.orders[number] = order
                for item in order["deliveries"][0]["items"]:
                    self.adjust_stock(item["brand_code"], item["option_code"], -int(item["quantity"]))
                numbers.append(number)
        return numbers


def _patch(order: dict[str, Any], overrides: dict[str, Any]) -> None:
    for key, value in overrides.items():
        if key == "buyer" and isinstance(value, dict):
            order["buyer"].update(value)
        elif key == "delivery" and isinstance(value, dict):
            order["deliveries"][0].update(value)
        elif key in order and key not in ("ordernum", "order_date", "modify_date", "deliveries"):
            order[key] = value
        else:
            raise ValueError(f"order override {key!r} is not a field that can be set")


def _int_param(params: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = params.get(name, "")
    if raw == "":
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise c.ApiError(c.BAD_PARAMETER, f"{name} は {low}〜{high} の整数です")
    return int(raw)
