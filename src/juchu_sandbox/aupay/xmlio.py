"""XML in and out for the au PAY emulator: the ``<response>`` envelope, ``<orderInfo>``, request parsing."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import date, datetime, timedelta, timezone
from typing import Any

from starlette.responses import Response

JST = timezone(timedelta(hours=9), "JST")
XML_TYPE = "application/xml; charset=utf-8"
MINUTE_RE = re.compile(r"^(\d{4})/(\d{2})/(\d{2})(?: (\d{2}):(\d{2}))?$")
DAY_RE = re.compile(r"^(\d{4})/(\d{2})/(\d{2})$")


class ApiError(Exception):
    """A refusal in the mall's envelope: HTTP ``status``, error ``code`` and ``message``."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{code} {message}")
        self.status = status
        self.code = code
        self.message = message


def now_jst() -> datetime:
    """The real clock in JST."""
    return datetime.now(JST)


def fmt_minute(value: datetime) -> str:
    """``YYYY/MM/DD HH:MM`` in JST."""
    return value.astimezone(JST).strftime("%Y/%m/%d %H:%M")


def parse_bound(value: str | None, name: str, *, end: bool) -> datetime:
    """A search bound ``YYYY/MM/DD HH:MM`` (or ``YYYY/MM/DD``: 00:00, or 23:59 for the end); PRM0002 if bad."""
    match = MINUTE_RE.match(value or "")
    if match is None:
        raise ApiError(400, "PRM0002", f"{name} の形式が不正です (YYYY/MM/DD HH:MM)")
    y, mo, d, h, mi = match.groups()
    try:
        if h is None:
            return datetime(int(y), int(mo), int(d), 23 if end else 0, 59 if end else 0, tzinfo=JST)
        return datetime(int(y), int(mo), int(d), int(h), int(mi), tzinfo=JST)
    except ValueError:
        raise ApiError(400, "PRM0002", f"{name} が存在しない日時です") from None


def parse_day(value: str, name: str) -> date:
    """A ``YYYY/MM/DD`` date; PRM0002 if bad."""
    match = DAY_RE.match(value)
    try:
        if match is None:
            raise ValueError(value)
        return date(*(int(g) for g in match.groups()))
    except ValueError:
        raise ApiError(400, "PRM0002", f"{name} の形式が不正です (YYYY/MM/DD)") from None


def _add(parent: ET.Element, name: str, value: Any) -> None:
    ET.SubElement(parent, name).text = "" if value is None else str(value)


def envelope(*, status: int = 0, code: str = "", message: str = "") -> ET.Element:
    """``<response><result><status/><error><code/><message/></error></result></response>``."""
    root = ET.Element("response")
    result = ET.SubElement(root, "result")
    _add(result, "status", status)
    error = ET.SubElement(result, "error")
    _add(error, "code", code)
    _add(error, "message", message)
    return root


def order_info(parent: ET.Element, order: dict[str, Any]) -> None:
    """Append one ``<orderInfo>`` (scalar keys in order, then one ``<detail>`` per line)."""
    info = ET.SubElement(parent, "orderInfo")
    for key, value in order.items():
        if key != "detail":
            _add(info, key, value)
    for line in order["detail"]:
        detail = ET.SubElement(info, "detail")
        for key, value in line.items():
            _add(detail, key, value)


def xml_response(root: ET.Element, status: int = 200) -> Response:
    """The element as an XML answer."""
    body = b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="utf-8")
    return Response(body, status_code=status, media_type=XML_TYPE)


def error_response(error: ApiError) -> Response:
    """An error envelope (``status`` 1) with the error's HTTP status."""
    return xml_response(envelope(status=1, code=error.code, message=error.message), error.status)


def parse_request(raw: bytes, content_type: str) -> ET.Element:
    """The ``<request>`` root of a POST body; PRM0001 for a wrong Content-Type or a body that is not it."""
    if content_type.split(";")[0].strip().lower() not in ("application/xml", "text/xml"):
        raise ApiError(400, "PRM0001", "Content-Type は application/xml; charset=utf-8 で送信してください")
    try:
        root = ET.fromstring(raw)
    except ET.ParseError:
        raise ApiError(400, "PRM0001", "リクエストが XML として解析できません") from None
    if root.tag != "request":
        raise ApiError(400, "PRM0001", "ルート要素は request です")
    return root


def field(root: ET.Element, name: str, *, required: bool = True) -> str:
    """A child's stripped text; PRM0003 when required and missing or empty."""
    value = (root.findtext(name) or "").strip()
    if required and not value:
        raise ApiError(400, "PRM0003", f"{name} は必須です")
    return value
