"""Order rows → API payloads, with the prefetches that keep a page at a fixed number of queries."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import Prefetch, prefetch_related_objects

from juchu.domain.status import OrderStatus
from juchu.domain.tags import SYSTEM_TAGS
from juchu.orders.models import Order, OrderLine, Package, TagRule

_PACKAGES = Prefetch(
    "packages", queryset=Package.objects.select_related("shipment").prefetch_related("shipment__parcels")
)


def prefetch_for_list(orders: Sequence[Order]) -> None:
    """Load tags, packages, shipments and parcels of these orders in three queries."""
    prefetch_related_objects(list(orders), "tags", _PACKAGES)


def prefetch_for_detail(order: Order) -> None:
    """Load everything the detail shows."""
    prefetch_related_objects(
        [order],
        "tags",
        _PACKAGES,
        Prefetch("lines", queryset=OrderLine.objects.select_related("product")),
        "events",
    )


def tag_labels(orders: Sequence[Order]) -> dict[str, str]:
    """Labels of the tags on these orders: system tags by catalogue, custom tags by their rule (one query)."""
    codes = {t.code for o in orders for t in o.tags.all()}
    labels = {c: SYSTEM_TAGS[c].label_ja for c in codes if c in SYSTEM_TAGS}
    custom = codes - labels.keys()
    if custom:
        for code, label in TagRule.objects.filter(tag_code__in=custom).values_list("tag_code", "tag_label"):
            labels.setdefault(code, label)
    return labels


def _shipments(package: Package) -> list[dict[str, Any]]:
    try:
        shipment = package.shipment
    except Package.shipment.RelatedObjectDoesNotExist:  # not shipped yet
        return []
    return [
        {
            "carrier": shipment.carrier_code,
            "carrier_name": shipment.carrier_name,
            "tracking_numbers": [p.tracking_number for p in shipment.parcels.all()],
            "shipped_on": shipment.shipped_on,
        }
    ]


def package_payload(package: Package, detail: bool = False) -> dict[str, Any]:
    """A package, with its shipment (and its whole address when ``detail``)."""
    data: dict[str, Any] = {
        "id": package.pk,
        "seq": package.seq,
        "recipient_name": package.recipient_name,
        "prefecture": package.prefecture,
        "delivery_method": package.delivery_method,
        "requested_date": package.requested_date,
        "delivery_time": package.delivery_time,
        "shipment_status": package.shipment_status,
        "shipments": _shipments(package),
    }
    if detail:
        for name in ("recipient_kana", "phone", "postal_code", "city", "address1", "address2", "island"):
            data[name] = getattr(package, name)
    return data


def order_payload(order: Order, labels: dict[str, str], detail: bool = False) -> dict[str, Any]:
    """An order as the list (or, with ``detail``, the detail) shows it; its relations must be prefetched."""
    data: dict[str, Any] = {
        "id": order.pk,
        "mall_order_number": order.mall_order_number,
        "shop": {"id": order.shop.pk, "code": order.shop.code, "name": order.shop.name, "mall": order.shop.mall},
        "status": order.status,
        "status_label": OrderStatus(order.status).label_ja,
        "version": order.version,
        "explanation": order.explanation,
        "ordered_at": order.ordered_at,
        "status_changed_at": order.status_changed_at,
        "due_at": order.due_at,
        "buyer_name": order.buyer_name,
        "total": order.total,
        "payment_method": order.payment_method,
        "tags": [
            {"code": t.code, "label": labels.get(t.code, t.code), "source": t.source, "reason": t.reason}
            for t in sorted(order.tags.all(), key=lambda t: t.code)
        ],
        "packages": [package_payload(p, detail) for p in order.packages.all()],
    }
    if not detail:
        return data
    for name in (
        "buyer_kana",
        "email",
        "phone",
        "remarks",
        "order_type",
        "gift",
        "goods_total",
        "postage",
        "coupon_used",
        "points_used",
        "payment_state",
        "payment_error",
        "mall_status",
    ):
        data[name] = getattr(order, name)
    data["warehouse"] = order.warehouse.code
    data["lines"] = [
        {
            "id": line.pk,
            "package_id": line.package_id,
            "seq": line.seq,
            "mall_item_id": line.mall_item_id,
            "mall_variant_id": line.mall_variant_id,
            "name": line.name,
            "quantity": line.quantity,
            "unit_price": line.unit_price,
            "sku": line.product.code if line.product else None,
        }
        for line in order.lines.all()
    ]
    data["events"] = [
        {
            "at": e.at,
            "actor": e.actor,
            "kind": e.kind,
            "from_status": e.from_status,
            "to_status": e.to_status,
            "reason": e.reason,
        }
        for e in order.events.all()
    ]
    return data


def load_detail(order_id: int) -> dict[str, Any]:
    """The detail payload of one order (Order.DoesNotExist → 404)."""
    order = Order.objects.select_related("shop", "warehouse").get(pk=order_id)
    prefetch_for_detail(order)
    return order_payload(order, tag_labels([order]), detail=True)
