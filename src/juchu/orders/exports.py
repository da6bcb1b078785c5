"""The order list as CSV (受注CSV出力): one row per line, streamed in chunks, CP932 by default.

CP932 because the spreadsheets and tools shops open it with expect Shift_JIS; characters CP932 lacks
are replaced with 〓 (the geta mark) rather than failing the whole file.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from zoneinfo import ZoneInfo

from django.db.models import QuerySet

from juchu.domain.status import OrderStatus
from juchu.orders.models import Order

HEADER = (
    "受注番号",
    "ショップ",
    "ステータス",
    "注文日時",
    "購入者名",
    "電話番号",
    "メールアドレス",
    "送付先",
    "送付先名",
    "郵便番号",
    "都道府県",
    "住所",
    "配送方法",
    "お届け希望日",
    "お届け時間帯",
    "明細",
    "モール商品ID",
    "SKUコード",
    "商品名",
    "数量",
    "単価",
    "合計金額",
    "決済方法",
    "タグ",
    "配送業者",
    "お問い合わせ番号",
    "出荷日",
)
CHUNK = 1000
_JST = ZoneInfo("Asia/Tokyo")


def _geta(error: UnicodeError) -> tuple[str, int]:
    """Replace what CP932 cannot hold with 〓, one per character."""
    assert isinstance(error, UnicodeEncodeError)
    return "〓" * (error.end - error.start), error.end


codecs.register_error("juchu-geta", _geta)


def _encode(text: str, encoding: str) -> bytes:
    return text.encode(encoding, errors="juchu-geta")


def _rows(order: Order) -> Iterator[list[object]]:
    tags = " ".join(sorted(t.code for t in order.tags.all()))
    status = OrderStatus(order.status).label_ja
    for package in order.packages.all():
        shipment = getattr(package, "shipment", None)
        carrier = (shipment.carrier_name or shipment.carrier_code) if shipment else ""
        tracking = " ".join(p.tracking_number for p in shipment.parcels.all()) if shipment else ""
        shipped_on = shipment.shipped_on.isoformat() if shipment else ""
        address = f"{package.city}{package.address1}{package.address2}"
        for line in package.lines.all():
            yield [
                order.mall_order_number,
                order.shop.code,
                status,
                order.ordered_at.astimezone(_JST).strftime("%Y/%m/%d %H:%M:%S"),
                order.buyer_name,
                order.phone,
                order.email,
                package.seq,
                package.recipient_name,
                package.postal_code,
                package.prefecture,
                address,
                package.delivery_method,
                package.requested_date.isoformat() if package.requested_date else "",
                package.delivery_time,
                line.seq,
                line.mall_item_id + (f":{line.mall_variant_id}" if line.mall_variant_id else ""),
                line.product.code if line.product else "",
                line.name,
                line.quantity,
                line.unit_price,
                order.total,
                order.payment_method,
                tags,
                carrier,
                tracking,
                shipped_on,
            ]


def export_orders(orders: QuerySet[Order], encoding: str = "cp932") -> Iterator[bytes]:
    """The orders as CSV bytes, header first, in chunks (the queryset's order is kept)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADER)
    yield _encode(buffer.getvalue(), encoding)
    ids = list(orders.values_list("id", flat=True))
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        rows = (
            Order.objects.filter(id__in=chunk)
            .select_related("shop")
            .prefetch_related("tags", "packages__lines__product", "packages__shipment__parcels")
        )
        by_id = {o.pk: o for o in rows}
        buffer.seek(0)
        buffer.truncate()
        for pk in chunk:
            if pk in by_id:
                writer.writerows(_rows(by_id[pk]))
        yield _encode(buffer.getvalue(), encoding)
