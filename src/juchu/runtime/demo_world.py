"""The demo's world on the sandbox: a Rakuten shop and an RSL warehouse, products, sets, mappings, stock.

``juchu demo``, the end-to-end tests and the benchmarks build the same world. Juchu speaks to the sandbox
only over HTTP (its control API under ``/_sandbox/``); it never imports the sandbox.

The other malls join with :func:`configure_mall`: one shop per mall on the same warehouse and products. What
differs per mall (credentials on the sandbox, method names, how a catalogue row is keyed) comes from the
connector's own ``juchu.connectors.malls.<mall>.demo`` module, so this file knows no mall's wire details.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from datetime import timedelta
from types import ModuleType

import httpx
from django.db import transaction
from django.utils import timezone

from juchu.catalog.models import MallItemMapping, Product, SetComponent
from juchu.domain.model import PaymentKind
from juchu.fulfillment.models import Warehouse
from juchu.orders.models import TagRule
from juchu.shops.models import DeliveryMethodMapping, Mall, PaymentMethodMapping, Shop

SANDBOX_RAKUTEN = {"serviceSecret": "sandbox-secret", "licenseKey": "sandbox-license"}
SANDBOX_RSL = {"api_key": "sandbox-rsl-key", "merchant_id": "sandbox-merchant"}

#: What the demo shop sells at the (sandbox) mall: one row per SKU, as the sandbox's catalogue wants it.
CATALOGUE = [
    {"manageNumber": "tea-01", "variantId": "tea-01-100g", "itemName": "静岡県産 深蒸し煎茶 100g", "price": 1080},
    {"manageNumber": "tea-01", "variantId": "tea-01-200g", "itemName": "静岡県産 深蒸し煎茶 200g", "price": 1944},
    {"manageNumber": "tea-02", "variantId": "tea-02-100g", "itemName": "京都 宇治ほうじ茶 100g", "price": 864},
    {"manageNumber": "tea-03", "variantId": "tea-03", "itemName": "宇治抹茶 30g 缶入り", "price": 1620},
    {"manageNumber": "tea-05", "variantId": "tea-05-a", "itemName": "日本茶 飲み比べギフトセット", "price": 3240},
]
#: A mall item the demo shop never mapped: its orders stop at 確認待 (商品未マッピング).
UNMAPPED = {"manageNumber": "tea-99", "variantId": "tea-99", "itemName": "【予約】八十八夜 新茶", "price": 2160}
#: SKUs the warehouse holds, with the demo's stock; 抹茶 is scarce so that some orders wait for stock.
STOCK = {"TEA-01-100G": 100_000, "TEA-01-200G": 100_000, "TEA-02-100G": 100_000, "TEA-03": 40}
#: The gift set is made of two SKUs.
GIFT_SET = ("SET-TEA-05-A", [("TEA-01-100G", 1), ("TEA-02-100G", 2)])


#: The malls with a sandbox emulator besides Rakuten, in the order the demo shows them.
OTHER_MALLS = ("yahoo", "amazon", "aupay", "qoo10", "makeshop")


@dataclass(frozen=True)
class DemoWorld:
    """The shop and warehouse the demo runs."""

    shop: Shop
    warehouse: Warehouse
    sandbox_url: str


def sku_of(variant_id: str) -> str:
    """The demo's SKU code for a sandbox variant id."""
    return variant_id.upper()


def configure(
    sandbox_url: str,
    *,
    grace_seconds: int = 60,
    with_unmapped: bool = True,
    scarce_stock: bool = True,
    rate_per_second: int = 50,
    suffix: str = "",
) -> DemoWorld:
    """Build (or refresh) the demo world in Juchu and tell the sandbox the same catalogue and stock.

    ``suffix`` names a second, third … shop and warehouse (``demo-rakuten-2`` on ``rsl-2``), each on its own
    sandbox, for the multi-shop benchmarks; the products are shared.
    """
    catalogue = [*CATALOGUE, UNMAPPED] if with_unmapped else list(CATALOGUE)
    stock = dict(STOCK) if scarce_stock else {sku: 100_000 for sku in STOCK}
    with httpx.Client(base_url=sandbox_url, timeout=10) as control:
        control.put("/_sandbox/rakuten/catalogue", json=catalogue).raise_for_status()
        control.put("/_sandbox/rsl/stock", json=stock).raise_for_status()
    with transaction.atomic():
        warehouse, _ = Warehouse.objects.update_or_create(
            code=f"rsl{suffix}",
            defaults={
                "name": "RSL (サンドボックス)",
                "connector": "rsl",
                "api_base_url": f"{sandbox_url}/rsl/v1",
                "credentials": SANDBOX_RSL,
                "every_day": True,
            },
        )
        credentials = {**SANDBOX_RAKUTEN, "rate_per_second": rate_per_second, "rate_burst": rate_per_second}
        shop, _ = Shop.objects.update_or_create(
            code=f"demo-rakuten{suffix}",
            defaults={
                "name": f"デモ茶舗 楽天市場店{suffix}",
                "mall": Mall.RAKUTEN,
                "warehouse": warehouse,
                "connector": "rakuten",
                "api_base_url": sandbox_url,
                "credentials": credentials,
                "grace_period_seconds": grace_seconds,
                "confirm_at_mall": True,
                "key_expires_on": timezone.localdate() + timedelta(days=85),
            },
        )
        for mall_method, code in (("宅配便", "YUPACK"), ("メール便", "YUPACKET")):
            DeliveryMethodMapping.objects.update_or_create(
                shop=shop, mall_method=mall_method, defaults={"warehouse_method": code}
            )
        for mall_method, kind in (
            ("クレジットカード", PaymentKind.CARD),
            ("銀行振込", PaymentKind.PREPAID),
            ("代金引換", PaymentKind.COD),
        ):
            PaymentMethodMapping.objects.update_or_create(shop=shop, mall_method=mall_method, defaults={"kind": kind})
        for row in CATALOGUE:
            code = sku_of(row["variantId"])
            if code == GIFT_SET[0]:
                continue
            product, _ = Product.objects.update_or_create(
                code=code, defaults={"name": row["itemName"], "price": row["price"]}
            )
            MallItemMapping.objects.update_or_create(
                shop=shop,
                mall_item_id=row["manageNumber"],
                mall_variant_id=row["variantId"],
                defaults={"product": product},
            )
        gift, _ = Product.objects.update_or_create(
            code=GIFT_SET[0], defaults={"name": "飲み比べギフトセット", "is_set": True}
        )
        for component, quantity in GIFT_SET[1]:
            SetComponent.objects.update_or_create(
                set_product=gift, component=Product.objects.get(code=component), defaults={"quantity": quantity}
            )
        MallItemMapping.objects.update_or_create(
            shop=shop, mall_item_id="tea-05", mall_variant_id="tea-05-a", defaults={"product": gift}
        )
        TagRule.objects.update_or_create(
            shop=shop,
            tag_code="receipt",
            defaults={
                "name": "領収書の依頼",
                "tag_label": "領収書",
                "match": "all",
                "stop_at": "awaiting_check",
                "conditions": [{"field": "remarks", "op": "contains", "value": "領収書"}],
            },
        )
    return DemoWorld(shop=shop, warehouse=warehouse, sandbox_url=sandbox_url)


def generic_catalogue(with_unmapped: bool = True) -> list[dict[str, object]]:
    """The demo catalogue in the sandbox's mall-neutral form (``itemId``, ``variantId``, ``name``, ``price``)."""
    rows = [*CATALOGUE, UNMAPPED] if with_unmapped else list(CATALOGUE)
    return [
        {"itemId": r["manageNumber"], "variantId": r["variantId"], "name": r["itemName"], "price": r["price"]}
        for r in rows
    ]


def mall_demo(mall: str) -> ModuleType:
    """The connector's demo module: how a shop of ``mall`` is set up on the sandbox.

    It provides ``SHOP_NAME``, ``sandbox_settings(sandbox_url) -> {"api_base_url", "credentials"}``,
    ``DELIVERY_METHODS`` (mall name → warehouse code), ``PAYMENT_METHODS`` (mall name → PaymentKind),
    ``CONFIRM_AT_MALL``, ``KEY_LIFETIME_DAYS`` (None when the key does not expire) and
    ``mapping_key(item_id, variant_id) -> (mall_item_id, mall_variant_id)``.
    """
    return importlib.import_module(f"juchu.connectors.malls.{mall}.demo")


def configure_mall(
    sandbox_url: str,
    mall: str,
    warehouse: Warehouse,
    *,
    grace_seconds: int = 0,
    with_unmapped: bool = True,
    fast: bool = False,
) -> Shop:
    """A demo shop on ``mall`` (not Rakuten) selling the demo catalogue from ``warehouse``.

    Needs the products of :func:`configure`. ``fast`` lifts the sandbox's and the connector's rate limits
    (end-to-end tests), otherwise both keep the mall's documented limits.
    """
    demo = mall_demo(mall)
    catalogue = generic_catalogue(with_unmapped)
    with httpx.Client(base_url=sandbox_url, timeout=10) as control:
        control.put(f"/_sandbox/{mall}/catalogue", json=catalogue).raise_for_status()
        if fast:
            control.put(f"/_sandbox/{mall}/settings", json={"rateLimits": False}).raise_for_status()
    connection = demo.sandbox_settings(sandbox_url)
    credentials = dict(connection["credentials"])
    if fast:
        credentials |= {"rate_per_second": 1000, "rate_burst": 1000}
    lifetime = demo.KEY_LIFETIME_DAYS
    with transaction.atomic():
        shop, _ = Shop.objects.update_or_create(
            code=f"demo-{mall}",
            defaults={
                "name": demo.SHOP_NAME,
                "mall": Mall(mall),
                "warehouse": warehouse,
                "connector": mall,
                "api_base_url": connection["api_base_url"],
                "credentials": credentials,
                "grace_period_seconds": grace_seconds,
                "confirm_at_mall": demo.CONFIRM_AT_MALL,
                "key_expires_on": timezone.localdate() + timedelta(days=lifetime - 5) if lifetime else None,
            },
        )
        for mall_method, code in demo.DELIVERY_METHODS.items():
            DeliveryMethodMapping.objects.update_or_create(
                shop=shop, mall_method=mall_method, defaults={"warehouse_method": code}
            )
        for mall_method, kind in demo.PAYMENT_METHODS.items():
            PaymentMethodMapping.objects.update_or_create(shop=shop, mall_method=mall_method, defaults={"kind": kind})
        for row in CATALOGUE:
            item_id, variant_id = demo.mapping_key(row["manageNumber"], row["variantId"])
            MallItemMapping.objects.update_or_create(
                shop=shop,
                mall_item_id=item_id,
                mall_variant_id=variant_id,
                defaults={"product": Product.objects.get(code=_product_code(row))},
            )
    return shop


def _product_code(row: dict[str, object]) -> str:
    """The product a demo catalogue row sells: the gift set for tea-05, else the variant's SKU."""
    return GIFT_SET[0] if row["manageNumber"] == "tea-05" else sku_of(str(row["variantId"]))
