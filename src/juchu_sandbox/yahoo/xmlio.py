"""XML in and out for the Yahoo emulator: request parsing, order rendering, the ``<Error>`` envelope."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date, datetime
from typing import Any

XML_TYPE = "text/xml; charset=UTF-8"


class ApiError(Exception):
    """An API answer ``<Error><Message/><Code/></Error>`` with an HTTP status and extra headers."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{code} {message}")
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}

    def body(self) -> bytes:
        root = ET.Element("Error")
        ET.SubElement(root, "Message").text = self.message
        ET.SubElement(root, "Code").text = self.code
        return to_bytes(root)


def bad_request(message: str) -> ApiError:
    """A request the API cannot read (px-04001)."""
    return ApiError(400, "px-04001", message)


def to_bytes(root: ET.Element) -> bytes:
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def parse_req(raw: bytes) -> ET.Element:
    """The ``<Req>`` document of an order API call; ApiError 400 when it is not one."""
    try:
        root = ET.fromstring(raw)
    except ET.ParseError:
        raise bad_request("Request body is not well-formed XML") from None
    if root.tag != "Req":
        raise bad_request(f"Root element must be Req, not {root.tag}")
    return root


def text(node: ET.Element, path: str, *, required: bool = False) -> str:
    """The stripped text at ``path`` ('' when absent); ApiError when required and missing or empty."""
    value = (node.findtext(path) or "").strip()
    if required and not value:
        raise bad_request(f"{path} is required")
    return value


def wire_value(value: Any) -> str:
    """A stored value as the API writes it: ISO datetimes with +09:00, YYYY-MM-DD dates, true/false."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def add_fields(parent: ET.Element, values: dict[str, Any], wanted: set[str] | None) -> int:
    """Add the scalar ``values`` (those in ``wanted`` when given) as child elements; how many were added."""
    added = 0
    for key, value in values.items():
        if isinstance(value, dict | list):
            continue
        if wanted is None or key in wanted:
            ET.SubElement(parent, key).text = wire_value(value)
            added += 1
    return added


def order_info(order: dict[str, Any], wanted: set[str] | None) -> ET.Element:
    """One stored order as orderInfo's ``OrderInfo`` element (only the ``wanted`` fields when given)."""
    info = ET.Element("OrderInfo")
    add_fields(info, order, wanted)
    for group in ("Pay", "Ship", "Detail"):
        node = ET.Element(group)
        if add_fields(node, order[group], wanted):
            info.append(node)
    for item in order["Item"]:
        node = ET.Element("Item")
        if add_fields(node, item, wanted):
            info.append(node)
    return info


def flat_fields(order: dict[str, Any]) -> dict[str, Any]:
    """Every scalar field of an order by name (orderList rows are flat)."""
    values = {k: v for k, v in order.items() if not isinstance(v, dict | list)}
    for group in ("Pay", "Ship", "Detail"):
        values.update(order[group])
    return values
