"""受注CSV取込 and the order-list export: the service functions the screens and commands call.

Preview reads the file and says what a commit would do; commit imports the good orders through
``orders.importing.import_orders`` (the one import path, idempotent on shop + order number), so uploading
the same file again creates nothing twice. An order with any bad row is not imported at all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import BinaryIO

from django.db.models import Prefetch, QuerySet

from juchu.csvio.order_layout import ALL_COLUMNS, EXPORT_EXTRA, PAYMENT_LABELS
from juchu.csvio.order_reader import ReadResult, read_orders
from juchu.csvio.text import JST, RowError, writer_bytes
from juchu.domain.model import OrderType, PaymentState
from juchu.domain.status import OrderStatus
from juchu.orders.importing import import_orders
from juchu.orders.models import Order, OrderLine
from juchu.orders.models import Package as PackageRow
from juchu.shops.models import Shop

#: Orders handed to import_orders at a time (one progress step).
CHUNK = 1_000
Progress = Callable[[int, int], None]


@dataclass
class Preview:
    """What committing the file would do: orders new and already known, and every bad row."""

    rows: int
    orders: int
    new: list[str]
    existing: list[str]
    errors: list[RowError]
    rejected: list[str]

    @property
    def ok(self) -> bool:
        """Whether every row is good."""
        return not self.errors


@dataclass
class CommitResult:
    """What a commit did: orders created, updated or unchanged, and what was not imported and why."""

    rows: int = 0
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)


def _existing(shop: Shop, numbers: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(numbers), 500):
        chunk = numbers[start : start + 500]
        found.update(
            Order.objects.filter(shop=shop, mall_order_number__in=chunk).values_list("mall_order_number", flat=True)
        )
    return found


def preview_order_csv(shop: Shop, data: bytes) -> Preview:
    """Read an order CSV for ``shop`` without importing anything."""
    read = read_orders(data)
    numbers = [o.mall_order_number for o in read.orders]
    known = _existing(shop, numbers)
    return Preview(
        rows=read.rows,
        orders=len(read.orders),
        new=[n for n in numbers if n not in known],
        existing=[n for n in numbers if n in known],
        errors=read.errors,
        rejected=read.rejected,
    )


def commit_order_csv(
    shop: Shop, data: bytes, actor: str, now: datetime, progress: Progress | None = None
) -> CommitResult:
    """Import the good orders of an order CSV; ``progress(done, total)`` is called after each chunk."""
    read: ReadResult = read_orders(data)
    result = CommitResult(rows=read.rows, errors=list(read.errors), rejected=list(read.rejected))
    total = len(read.orders)
    if progress:
        progress(0, total)
    for start in range(0, total, CHUNK):
        chunk = read.orders[start : start + CHUNK]
        imported = import_orders(shop, chunk, now, actor=actor)
        result.created += imported.created
        result.updated += imported.updated
        result.unchanged += imported.unchanged
        for error in imported.errors:
            # import_orders refused the order as a whole: point at its first row.
            row = read.rows_of.get(error.key, [0])[0]
            result.errors.append(RowError(row, "", error.message, error.key))
            result.rejected.append(error.key)
        if progress:
            progress(min(start + CHUNK, total), total)
    return result


_STATUS_LABELS = {s.value: s.label_ja for s in OrderStatus}
_TYPE_LABELS = {t.value: ("" if t is OrderType.NORMAL else t.label_ja) for t in OrderType}


def _order_rows(order: Order) -> Iterable[list[object]]:
    head = [
        order.mall_order_number,
        f"{order.ordered_at.astimezone(JST):%Y-%m-%d %H:%M:%S}",
        order.buyer_name,
        order.buyer_kana,
        order.email,
        order.phone,
        order.payment_method,
        PAYMENT_LABELS.get(PaymentState(order.payment_state), ""),
        _TYPE_LABELS.get(order.order_type, ""),
        order.postage,
        order.coupon_used,
        order.points_used,
        order.total,
        1 if order.gift else 0,
        order.remarks,
    ]
    for package in order.packages.all():
        middle = [
            package.seq,
            package.recipient_name,
            package.recipient_kana,
            package.phone,
            package.postal_code,
            package.prefecture,
            package.city,
            package.address1,
            package.address2,
            package.delivery_method,
            package.requested_date.isoformat() if package.requested_date else "",
            package.delivery_time,
        ]
        for line in package.lines.all():
            tail = [line.mall_item_id, line.mall_variant_id, line.name, line.unit_price, line.quantity]
            sku = line.product.code if line.product_id else ""
            yield [*head, *middle, *tail, _STATUS_LABELS.get(order.status, order.status), sku]


def orders_to_csv(orders: QuerySet[Order] | Iterable[Order], out: BinaryIO, encoding: str = "cp932") -> int:
    """Write orders in the upload layout (plus ステータス and SKU) to ``out``; returns the orders written.

    A queryset is read in chunks of 500 orders with their destinations and lines, so any order-list filter
    can be exported whatever its size. The file can be uploaded again as it is (the extra columns are ignored).
    """
    out.write(writer_bytes([[*ALL_COLUMNS, *EXPORT_EXTRA]], encoding))
    lines = OrderLine.objects.select_related("product").order_by("seq")
    packages = Prefetch("packages", PackageRow.objects.order_by("seq").prefetch_related(Prefetch("lines", lines)))
    if isinstance(orders, QuerySet):
        # The filter's own order is kept: ids first (one query), then each chunk with its contents.
        ids = list(dict.fromkeys(orders.values_list("id", flat=True)))
        position = {order_id: n for n, order_id in enumerate(ids)}
        chunks: Iterable[Iterable[Order]] = (
            sorted(
                Order.objects.filter(id__in=ids[s : s + 500]).prefetch_related(packages),
                key=lambda o: position[o.pk],
            )
            for s in range(0, len(ids), 500)
        )
    else:
        chunks = [orders]
    count = 0
    for chunk in chunks:
        rows = []
        for order in chunk:
            rows.extend(_order_rows(order))
            count += 1
        # Only the header is UTF-8's BOM carrier; later chunks are plain text in the same encoding.
        out.write(writer_bytes(rows, encoding).removeprefix(b"\xef\xbb\xbf"))
    return count
