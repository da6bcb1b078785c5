"""Reading orders as domain snapshots, a batch at a time (a fixed number of queries per batch)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import timedelta

from juchu.domain.effects import EffectKind, EffectState
from juchu.domain.model import (
    Address,
    Line,
    OrderSnapshot,
    OrderType,
    Package,
    PaymentState,
    Tag,
    TagSource,
)
from juchu.domain.status import OrderStatus, PackageStatus
from juchu.orders.batchsql import where_in
from juchu.orders.models import Effect, Order, OrderLine, OrderTag, RemovedTag
from juchu.orders.models import Package as PackageRow

DUPLICATE_WINDOW = timedelta(hours=24)

ORDER_FIELDS = (
    "id",
    "version",
    "shop_id",
    "shop__mall",
    "mall_order_number",
    "status",
    "ordered_at",
    "payment_method",
    "payment_state",
    "buyer_name",
    "email",
    "phone",
    "remarks",
    "order_type",
    "gift",
    "coupon_used",
    "points_used",
    "goods_total",
    "postage",
    "total",
    "mall_cancelled",
    "mall_changed",
    "mall_confirmed",
    "allocated",
    "thanks_mail_queued",
    "payment_error",
    "fingerprint",
    "warehouse_id",
)


def load_snapshots(order_ids: Iterable[int]) -> dict[int, OrderSnapshot]:
    """Snapshots of the given orders, keyed by id."""
    ids = list(order_ids)
    if not ids:
        return {}
    rows = list(Order.objects.filter(id__in=ids).values(*ORDER_FIELDS))
    return build_snapshots(rows)


def build_snapshots(rows: list[dict]) -> dict[int, OrderSnapshot]:
    """Snapshots for order rows already read with :data:`ORDER_FIELDS`."""
    ids = [row["id"] for row in rows]
    lines_by_package: dict[int, list[Line]] = defaultdict(list)
    for line in (
        where_in(OrderLine.objects.all(), "order_id", ids)
        .order_by("package_id", "seq")
        .values_list(
            "id",
            "package_id",
            "mall_item_id",
            "mall_variant_id",
            "quantity",
            "unit_price",
            "name",
            "product__code",
        )
    ):
        lid, package_id, item, variant, quantity, price, name, code = line
        lines_by_package[package_id].append(
            Line(
                id=lid,
                mall_item_id=item,
                quantity=quantity,
                unit_price=price,
                name=name,
                mall_variant_id=variant,
                product_code=code,
            )
        )
    packages: dict[int, list[Package]] = defaultdict(list)
    for pid, order_id, name, phone, postal, prefecture, city, address1, address2, method, date, island, status, wh in (
        where_in(PackageRow.objects.all(), "order_id", ids)
        .order_by("order_id", "seq")
        .values_list(
            "id",
            "order_id",
            "recipient_name",
            "phone",
            "postal_code",
            "prefecture",
            "city",
            "address1",
            "address2",
            "delivery_method",
            "requested_date",
            "island",
            "shipment_status",
            "warehouse_id",
        )
    ):
        packages[order_id].append(
            Package(
                id=pid,
                recipient_name=name,
                address=Address(postal, prefecture, city, address1, address2),
                delivery_method=method,
                lines=tuple(lines_by_package.get(pid, ())),
                phone=phone,
                requested_date=date,
                island=island,
                shipment_status=PackageStatus(status),
                warehouse_id=wh,
            )
        )
    tags: dict[int, list[Tag]] = defaultdict(list)
    for order_id, code, source, reason in where_in(OrderTag.objects.all(), "order_id", ids).values_list(
        "order_id", "code", "source", "reason"
    ):
        tags[order_id].append(Tag(code, TagSource(source), reason))
    removed: dict[int, set[str]] = defaultdict(set)
    for order_id, code in where_in(RemovedTag.objects.all(), "order_id", ids).values_list("order_id", "code"):
        removed[order_id].add(code)
    # Also for orders still waiting for or in shipping: a decision may move them through 出荷作業中 and 全出荷済
    # on to 完了 at once (the warehouse accepted and shipped between two passes), and must see the open report.
    shipping = (
        OrderStatus.AWAITING_SHIPMENT.value,
        OrderStatus.SHIPPING.value,
        OrderStatus.PARTIALLY_SHIPPED.value,
        OrderStatus.SHIPPED.value,
    )
    shipped_ids = [row["id"] for row in rows if row["status"] in shipping]
    reports_open: set[int] = set()
    if shipped_ids:
        reports_open = set(
            Effect.objects.filter(
                order_id__in=shipped_ids,
                kind=EffectKind.MALL_REPORT.value,
                state__in=[EffectState.PENDING.value, EffectState.FAILED.value],
            ).values_list("order_id", flat=True)
        )
    duplicates = _duplicate_candidates(rows)
    return {
        row["id"]: OrderSnapshot(
            id=row["id"],
            version=row["version"],
            shop_id=row["shop_id"],
            warehouse_id=row.get("warehouse_id"),
            mall=row["shop__mall"],
            mall_order_number=row["mall_order_number"],
            status=OrderStatus(row["status"]),
            ordered_at=row["ordered_at"],
            packages=tuple(packages.get(row["id"], ())),
            payment_method=row["payment_method"],
            payment_state=PaymentState(row["payment_state"]),
            buyer_name=row["buyer_name"],
            email=row["email"],
            phone=row["phone"],
            remarks=row["remarks"],
            order_type=OrderType(row["order_type"]),
            gift=row["gift"],
            coupon_used=row["coupon_used"],
            points_used=row["points_used"],
            goods_total=row["goods_total"],
            postage=row["postage"],
            total=row["total"],
            mall_cancelled=row["mall_cancelled"],
            mall_changed=row["mall_changed"],
            mall_confirmed=row["mall_confirmed"],
            allocated=row["allocated"],
            thanks_mail_queued=row["thanks_mail_queued"],
            mall_reports_done=row["id"] not in reports_open,
            tags=tuple(tags.get(row["id"], ())),
            removed_tags=frozenset(removed.get(row["id"], ())),
            duplicate_candidates=duplicates.get(row["id"], ()),
            payment_error=row["payment_error"],
        )
        for row in rows
    }


def _duplicate_candidates(rows: list[dict]) -> dict[int, tuple[str, ...]]:
    """Other orders of the same shop with the same fingerprint within 24 h (one query for the batch)."""
    checking = [r for r in rows if r["fingerprint"] and r["status"] in ("new", "awaiting_check")]
    if not checking:
        return {}
    fingerprints = {r["fingerprint"] for r in checking}
    earliest = min(r["ordered_at"] for r in checking) - DUPLICATE_WINDOW
    latest = max(r["ordered_at"] for r in checking) + DUPLICATE_WINDOW
    others: dict[tuple[int, str], list[tuple[int, str, object]]] = defaultdict(list)
    # The batch's own orders are already in hand; only orders outside it are read.
    for r in rows:
        if r["fingerprint"] in fingerprints and r["status"] != OrderStatus.CANCELLED.value:
            others[(r["shop_id"], r["fingerprint"])].append((r["id"], r["mall_order_number"], r["ordered_at"]))
    for oid, shop_id, fingerprint, number, ordered_at in (
        where_in(
            Order.objects.filter(fingerprint__in=fingerprints, ordered_at__gte=earliest, ordered_at__lte=latest),
            "id",
            [r["id"] for r in rows],
            negate=True,
        )
        .exclude(status=OrderStatus.CANCELLED.value)
        .values_list("id", "shop_id", "fingerprint", "mall_order_number", "ordered_at")
    ):
        others[(shop_id, fingerprint)].append((oid, number, ordered_at))
    found: dict[int, tuple[str, ...]] = {}
    for r in checking:
        numbers = tuple(
            number
            for oid, number, ordered_at in others.get((r["shop_id"], r["fingerprint"]), ())
            if oid != r["id"] and abs(ordered_at - r["ordered_at"]) <= DUPLICATE_WINDOW  # type: ignore[operator]
        )
        if numbers:
            found[r["id"]] = numbers
    return found
