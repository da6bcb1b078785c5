"""MakeShop XML answers: orders (``<orderinfo>``), write results, stock results and ``<error>``."""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree as ET

from juchu_sandbox.makeshop.common import fmt_xml

XML_TYPE = "text/xml; charset=UTF-8"
BUYER_KEYS = ("name", "kana", "email", "tel", "zip", "pref", "address1", "address2")
ADDRESS_KEYS = ("name", "kana", "tel", "zip", "pref", "address1", "address2")
ITEM_KEYS = ("brand_code", "option_code", "option_name", "name", "price", "quantity")


def _text(parent: ET.Element, tag: str, value: object) -> ET.Element:
    child = ET.SubElement(parent, tag)
    child.text = "" if value is None else str(value)
    return child


def order_element(order: dict[str, Any]) -> ET.Element:
    """One ``<order>`` with its buyer and destinations (README.md "Order XML")."""
    root = ET.Element("order")
    _text(root, "ordernum", order["ordernum"])
    _text(root, "order_date", fmt_xml(order["order_date"]))
    _text(root, "modify_date", fmt_xml(order["modify_date"]))
    _text(root, "canceled", 1 if order["canceled"] else 0)
    _text(root, "cancel_date", fmt_xml(order["cancel_date"]))
    _text(root, "pay_method", order["pay_method"])
    _text(root, "pay_status", 1 if order["paid"] else 0)
    _text(root, "pay_date", fmt_xml(order["pay_date"]))
    for key in ("sum_price", "deli_price", "cod_fee", "use_point", "total_price", "memo"):
        _text(root, key, order[key])
    buyer = ET.SubElement(root, "buyer")
    for key in BUYER_KEYS:
        _text(buyer, key, order["buyer"][key])
    deliveries = ET.SubElement(root, "deliveries")
    for delivery in order["deliveries"]:
        node = ET.SubElement(deliveries, "delivery")
        _text(node, "deliveryid", delivery["deliveryid"])
        for key in ADDRESS_KEYS:
            _text(node, key, delivery[key])
        for key in ("deli_method", "deli_date", "deli_time", "status", "company", "ship_date"):
            _text(node, key, delivery[key])
        slips = ET.SubElement(node, "slips")
        for slip in delivery["slips"]:
            _text(slips, "slipno", slip)
        items = ET.SubElement(node, "items")
        for item in delivery["items"]:
            item_node = ET.SubElement(items, "item")
            for key in ITEM_KEYS:
                _text(item_node, key, item[key])
    return root


def to_bytes(root: ET.Element) -> bytes:
    """The document with its XML declaration, UTF-8."""
    body: bytes = ET.tostring(root, encoding="UTF-8", xml_declaration=True)
    return body


def order_list(orders: list[dict[str, Any]], total: int, page: int, limit: int) -> bytes:
    """The ``cmd=get`` answer: paging counters, then the orders of the page."""
    root = ET.Element("orderinfo")
    _text(root, "result", "OK")
    _text(root, "total", total)
    _text(root, "page", page)
    _text(root, "limit", limit)
    _text(root, "count", len(orders))
    for order in orders:
        root.append(order_element(order))
    return to_bytes(root)


def write_result(ordernum: str, fields: dict[str, object]) -> bytes:
    """The answer of ``cmd=status`` / ``cmd=cancel``."""
    root = ET.Element("orderinfo")
    _text(root, "result", "OK")
    _text(root, "ordernum", ordernum)
    for key, value in fields.items():
        _text(root, key, value)
    return to_bytes(root)


def stock_result(items: list[dict[str, str]]) -> bytes:
    """The ``cmd=stock`` answer: one ``<item>`` per item sent, in the order sent."""
    root = ET.Element("productinfo")
    _text(root, "result", "OK")
    for entry in items:
        node = ET.SubElement(root, "item")
        for key in ("brand_code", "option_code", "result", "stock", "code", "message"):
            _text(node, key, entry.get(key, ""))
    return to_bytes(root)


def stock_levels(items: list[dict[str, str]]) -> bytes:
    """The stock read's answer: ``<item><brand_code/><option_code/><stock/></item>`` per stock holder."""
    root = ET.Element("productinfo")
    _text(root, "result", "OK")
    for entry in items:
        node = ET.SubElement(root, "item")
        for key in ("brand_code", "option_code", "stock"):
            _text(node, key, entry[key])
    return to_bytes(root)


def error(code: str, message: str) -> bytes:
    """The error envelope: ``<error><code/><message/></error>``."""
    root = ET.Element("error")
    _text(root, "code", code)
    _text(root, "message", message)
    return to_bytes(root)
