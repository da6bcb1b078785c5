"""MakeShop wire constants and request shapes: paths, parameters, the carrier table, the stock XML body.

MakeShop does not publish the legacy API's XML tags, carrier codes or limits (malls.md §8); the values here are
the ones the sandbox emulator chose and documents in ``src/juchu_sandbox/makeshop/README.md``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta, timezone
from xml.etree import ElementTree as ET

from juchu.connectors.base import StockLevel

JST = timezone(timedelta(hours=9), "JST")
DEFAULT_BASE_URL = "https://www.makeshop.jp"
ORDER_PATH = "/api/orderinfo/index.html"
PRODUCT_PATH = "/api/productinfo/index.html"

PAGE_LIMIT = 100
ORDERNUM_BATCH = 50
STOCK_CHUNK = 100
MAX_PERIOD = timedelta(days=31)
MAX_SLIPS = 10

#: Delivery status (配送ステータス) of a destination: 0 未発送, 1 発送準備中, 2 発送済.
SHIPPED = "2"

#: Juchu's carrier codes (Rakuten's deliveryCompany codes, malls.md §1.6) → MakeShop ``company`` codes.
CARRIERS = {
    "1001": "1",  # ヤマト運輸
    "1030": "1",  # ヤマト運輸 クロネコゆうパケット
    "1002": "2",  # 佐川急便
    "1003": "3",  # 日本郵便
    "1029": "3",  # 日本郵便 楽天倉庫出荷 (RSL)
    "1004": "4",  # 西濃運輸
    "1006": "5",  # 福山通運
    "1015": "6",  # NXトランスポート → 日本通運
    "1021": "6",  # 日本通運
}
OTHER_CARRIER = "99"


def carrier_code(juchu_code: str) -> str:
    """The MakeShop ``company`` code for a Juchu carrier code; 99 その他 for any other carrier."""
    return CARRIERS.get(juchu_code, OTHER_CARRIER)


def param_datetime(moment: datetime) -> str:
    """An aware datetime as a ``start``/``end`` parameter: ``yyyymmddhhmmss`` in JST."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: MakeShop periods need aware times")
    return moment.astimezone(JST).strftime("%Y%m%d%H%M%S")


def param_date(day: date) -> str:
    """A ship date as ``cmd=status`` wants it: ``yyyymmdd``."""
    return day.strftime("%Y%m%d")


def stock_key(sku: str) -> tuple[str, str]:
    """``item:variant`` (or ``item``) → (商品コード brand_code, オプションコード option_code)."""
    code, _sep, option = sku.partition(":")
    return code.strip(), option.strip()


#: The largest stock MakeShop takes (a choice of the emulator, see its README): larger quantities are sent as this.
MAX_STOCK = 99_999


def stock_body(levels: Sequence[StockLevel]) -> bytes:
    """``<stockupdate><item><brand_code/><option_code/><stock/></item>…</stockupdate>`` (absolute quantities)."""
    root = ET.Element("stockupdate")
    for level in levels:
        code, option = stock_key(level.sku)
        item = ET.SubElement(root, "item")
        ET.SubElement(item, "brand_code").text = code
        ET.SubElement(item, "option_code").text = option
        ET.SubElement(item, "stock").text = str(max(0, min(MAX_STOCK, level.quantity)))
    body: bytes = ET.tostring(root, encoding="UTF-8", xml_declaration=True)
    return body
