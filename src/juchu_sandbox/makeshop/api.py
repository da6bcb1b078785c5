"""The MakeShop API at its real paths: the order API (``/api/orderinfo/index.html``) and the product API's
stock update (``POST /api/productinfo/index.html?cmd=stock``) and stock read (``GET`` on the same). Answers are
XML; see README.md."""

from __future__ import annotations

from xml.etree import ElementTree as ET

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from juchu_sandbox.makeshop import common as c
from juchu_sandbox.makeshop import render
from juchu_sandbox.makeshop.store import Mall

ORDER_PATH = "/api/orderinfo/index.html"
PRODUCT_PATH = "/api/productinfo/index.html"


def _xml(body: bytes, status: int = 200) -> Response:
    return Response(body, status_code=status, media_type=render.XML_TYPE)


def _order_call(mall: Mall, params: dict[str, str]) -> bytes:
    cmd = params.get("cmd", "")
    mall.check("order", params.get("shopid", ""), params.get("token", ""))
    if cmd == "get":
        orders, total, page, limit = mall.get_orders(params)
        return render.order_list(orders, total, page, limit)
    if cmd == "status":
        return render.write_result(params.get("ordernum", ""), mall.set_status(params))
    if cmd == "cancel":
        number = params.get("ordernum", "")
        order = mall.cancel(number)
        return render.write_result(number, {"canceled": 1, "cancel_date": c.fmt_xml(order["cancel_date"])})
    raise c.ApiError(c.BAD_PARAMETER, f"cmd {cmd or '(なし)'} は使用できません (get, status, cancel)")


def _stock_items(raw: bytes) -> list[dict[str, str]]:
    """The ``<stockupdate>`` body; E002 when it is not one."""
    try:
        root = ET.fromstring(raw)
    except ET.ParseError:
        raise c.ApiError(c.BAD_PARAMETER, "リクエスト本文が XML ではありません") from None
    if root.tag != "stockupdate" or not len(root):
        raise c.ApiError(c.BAD_PARAMETER, "<stockupdate> に <item> を1件以上指定してください")
    items = []
    for node in root:
        if node.tag != "item":
            raise c.ApiError(c.BAD_PARAMETER, f"<{node.tag}> は <stockupdate> に指定できません")
        items.append({key: (node.findtext(key) or "").strip() for key in ("brand_code", "option_code", "stock")})
    return items


def routes(mall: Mall) -> list[Route]:
    """The API routes of one emulated shop."""

    async def orderinfo(request: Request) -> Response:
        params = dict(request.query_params)
        status, code = 200, ""
        try:
            body = _order_call(mall, params)
        except c.ApiError as exc:
            status, code, body = exc.status, exc.code, render.error(exc.code, exc.message)
        shown = {k: v for k, v in params.items() if k != "token"}
        mall.record_call(request.method, request.url.path, params.get("cmd", ""), status, code, str(shown))
        return _xml(body, status)

    async def productinfo(request: Request) -> Response:
        params = dict(request.query_params)
        raw = await request.body()
        status, code = 200, ""
        try:
            mall.check("product", params.get("shopid", ""), params.get("token", ""))
            if params.get("cmd") != "stock":
                raise c.ApiError(c.BAD_PARAMETER, f"cmd {params.get('cmd') or '(なし)'} は使用できません (stock)")
            if request.method == "GET":
                body = render.stock_levels(mall.stock_levels(params.get("brand_code", "")))
            else:
                body = render.stock_result(mall.set_stock(_stock_items(raw)))
        except c.ApiError as exc:
            status, code, body = exc.status, exc.code, render.error(exc.code, exc.message)
        shown = raw.decode("utf-8", "replace") if request.method == "POST" else params.get("brand_code", "")
        mall.record_call(request.method, request.url.path, params.get("cmd", ""), status, code, shown)
        return _xml(body, status)

    return [
        Route(ORDER_PATH, orderinfo, methods=["GET"]),
        Route(PRODUCT_PATH, productinfo, methods=["GET", "POST"]),
    ]
