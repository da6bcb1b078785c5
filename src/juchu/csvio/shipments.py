"""Shipment results (出荷実績) as CSV, for shops that register them at the mall by hand."""

from __future__ import annotations

from datetime import date

from juchu.csvio.text import writer_bytes
from juchu.fulfillment.models import Parcel
from juchu.mail.carriers import carrier_name
from juchu.shops.models import Shop

SHIPMENT_COLUMNS = (
    "受注番号",
    "送付先番号",
    "モール送付先ID",
    "出荷日",
    "配送会社コード",
    "配送会社名",
    "お問い合わせ番号",
)


def export_shipments(
    shop: Shop, since: date | None = None, until: date | None = None, encoding: str = "cp932"
) -> bytes:
    """One row per parcel shipped for ``shop`` (from ``since`` to ``until`` inclusive, by ship date)."""
    query = Parcel.objects.filter(shipment__package__order__shop=shop).select_related(
        "shipment", "shipment__package", "shipment__package__order"
    )
    if since is not None:
        query = query.filter(shipment__shipped_on__gte=since)
    if until is not None:
        query = query.filter(shipment__shipped_on__lte=until)
    query = query.order_by(
        "shipment__shipped_on", "shipment__package__order__mall_order_number", "shipment__package__seq", "id"
    )
    rows = (
        [
            p.shipment.package.order.mall_order_number,
            p.shipment.package.seq,
            p.shipment.package.mall_package_id,
            p.shipment.shipped_on.isoformat(),
            p.shipment.carrier_code,
            carrier_name(p.shipment.carrier_code, p.shipment.carrier_name),
            p.tracking_number,
        ]
        for p in query.iterator(chunk_size=2000)
    )
    return writer_bytes([SHIPMENT_COLUMNS, *rows], encoding)
