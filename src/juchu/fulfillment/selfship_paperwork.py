"""A batch's paperwork from the database: slip rows, picking list and delivery notes (juchu.fulfillment.slips).

Everything is read again from the requests, packages and lines each time, so every file of a batch can be
regenerated at any time and says the same (an order in 出荷作業中 can no longer be edited).

A merged box (同梱, ``juchu.orders.merge_groups``) is one request carrying the packages riding on it: its slip lists
every order's items (and the sum of their 代金引換 amounts), the picking list every order's lines, and each
order keeps its own delivery note.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from django.utils import timezone

from juchu.catalog.models import SetComponent
from juchu.domain.model import PaymentKind
from juchu.fulfillment.models import ShipmentRequest
from juchu.fulfillment.selfship_settings import SlipSettings
from juchu.fulfillment.slips import (
    Carrier,
    SlipError,
    SlipFile,
    SlipRequest,
    parse_time_slot,
    write_b2,
    write_e_hiden,
    write_yupri,
)
from juchu.fulfillment.slips.pdf import DeliveryNote, NoteLine, delivery_notes_pdf, picking_list_pdf
from juchu.orders import merge_groups
from juchu.orders.models import Order, OrderLine
from juchu.orders.models import Package as PackageRow
from juchu.shops.models import DeliveryMethodMapping, PaymentMethodMapping


def slip_key(request_pk: int) -> str:
    """お客様管理番号 of a request's slip: ``J`` + its id, within every carrier's width (e飛伝 16, ゆうプリR 15)."""
    return f"J{request_pk}"


@dataclass(frozen=True)
class _Loaded:
    requests: list[ShipmentRequest]
    lines: dict[int, list[OrderLine]]
    components: dict[int, list[tuple[str, str, int]]]
    methods: dict[tuple[int, str], str]
    cod_methods: set[tuple[int, str]]
    first_package: dict[int, int]
    #: A request's package → the packages riding on it (同梱), with their orders loaded.
    riders: dict[int, list[PackageRow]]

    def box_lines(self, package_id: int) -> list[OrderLine]:
        """The lines in the box of a request's package: its own, then those of the packages riding on it."""
        found = list(self.lines[package_id])
        for rider in self.riders.get(package_id, []):
            found += self.lines[rider.pk]
        return found


def _load(request_ids: Sequence[int]) -> _Loaded:
    requests = list(
        ShipmentRequest.objects.filter(pk__in=request_ids).select_related("order__shop", "package").order_by("id")
    )
    package_ids = [r.package_id for r in requests]
    riding = merge_groups.riders(package_ids)
    rider_rows = {
        p.pk: p
        for p in PackageRow.objects.filter(id__in=[pid for group in riding.values() for pid, _o in group])
        .select_related("order__shop")
        .order_by("order__ordered_at", "id")
    }
    riders = {into: [rider_rows[pid] for pid, _o in group] for into, group in riding.items()}
    lines: dict[int, list[OrderLine]] = defaultdict(list)
    for line in (
        OrderLine.objects.filter(package_id__in=[*package_ids, *rider_rows])
        .select_related("product")
        .order_by("seq", "id")
    ):
        lines[line.package_id].append(line)
    set_ids = {line.product_id for group in lines.values() for line in group if line.product and line.product.is_set}
    components: dict[int, list[tuple[str, str, int]]] = defaultdict(list)
    for part in SetComponent.objects.filter(set_product_id__in=set_ids).select_related("component").order_by("id"):
        components[part.set_product_id].append((part.component.code, part.component.name, part.quantity))
    shops = {r.order.shop_id for r in requests} | {p.order.shop_id for p in rider_rows.values()}
    methods = {
        (shop_id, mall): code
        for shop_id, mall, code in DeliveryMethodMapping.objects.filter(shop_id__in=shops).values_list(
            "shop_id", "mall_method", "warehouse_method"
        )
    }
    cod_methods = set(
        PaymentMethodMapping.objects.filter(shop_id__in=shops, kind=PaymentKind.COD.value).values_list(
            "shop_id", "mall_method"
        )
    )
    first_package: dict[int, int] = {}
    for order_id, package_id in (
        ShipmentRequest.objects.filter(order_id__in={r.order_id for r in requests})
        .order_by("order_id", "package__seq")
        .values_list("order_id", "package_id")
    ):
        first_package.setdefault(order_id, package_id)
    return _Loaded(requests, lines, components, methods, cod_methods, first_package, riders)


def _item_names(lines: list[OrderLine]) -> tuple[str, ...]:
    return tuple((line.product.name if line.product and line.product.name else line.name) or "商品" for line in lines)


def slip_requests(request_ids: Sequence[int], settings: SlipSettings) -> tuple[list[SlipRequest], list[SlipError]]:
    """The slips of these requests, and the requests whose slip cannot even be described (e.g. a time slot)."""
    loaded = _load(request_ids)
    slips: list[SlipRequest] = []
    refused: list[SlipError] = []
    for request in loaded.requests:
        order, package = request.order, request.package
        try:
            slot = parse_time_slot(package.delivery_time)
        except ValueError as exc:
            refused.append(SlipError(request.request_id, "配達時間帯", str(exc)))
            continue
        method = loaded.methods.get((order.shop_id, package.delivery_method), package.delivery_method)
        service, cool = settings.service_for(method)
        is_cod = (order.shop_id, order.payment_method) in loaded.cod_methods
        cod = order.total if is_cod and loaded.first_package.get(order.pk) == package.pk else 0
        # A merged box collects every riding order's 代金引換 amount too (a merge joins COD only with COD).
        cod += sum(
            rider.order.total
            for rider in loaded.riders.get(package.pk, [])
            if (rider.order.shop_id, rider.order.payment_method) in loaded.cod_methods
        )
        slips.append(
            SlipRequest(
                request_id=request.request_id,
                order_number=order.mall_order_number,
                recipient_name=package.recipient_name,
                postal_code=package.postal_code,
                prefecture=package.prefecture,
                city=package.city,
                address1=package.address1,
                address2=package.address2,
                recipient_kana=package.recipient_kana,
                phone=package.phone or order.phone,
                sender=settings.sender(order.shop.name),
                service=service,
                cool=cool,
                requested_date=package.requested_date,
                time_slot=slot,
                cod_amount=cod,
                item_names=_item_names(loaded.box_lines(package.pk)),
                key=slip_key(request.pk),
            )
        )
    return slips, refused


def write_slips(carrier: Carrier, slips: Sequence[SlipRequest], ship_date: date, settings: SlipSettings) -> SlipFile:
    """The carrier's import file (CP932) for ``slips``."""
    if carrier is Carrier.SAGAWA:
        return write_e_hiden(slips, ship_date, settings.sagawa_account())
    if carrier is Carrier.JAPAN_POST:
        return write_yupri(slips, ship_date, settings.japanpost_account())
    return write_b2(slips, ship_date, settings.b2_account())


def _notes(loaded: _Loaded, picked: bool, settings: SlipSettings | None = None) -> list[DeliveryNote]:
    """One note per order in each box: the request's own order, then the orders riding on it (同梱)."""
    notes = []
    for request in loaded.requests:
        notes.append(_note(loaded, request.request_id, request.order, request.package, picked, settings))
        for rider in loaded.riders.get(request.package_id, []):
            notes.append(_note(loaded, request.request_id, rider.order, rider, picked, settings))
    return notes


def _note(
    loaded: _Loaded, request_id: str, order: Order, package: PackageRow, picked: bool, settings: SlipSettings | None
) -> DeliveryNote:
    lines: list[NoteLine] = []
    for line in loaded.lines[package.pk]:
        product = line.product
        sku = product.code if product else line.mall_item_id
        name = (product.name if product else "") or line.name
        if picked and product and product.is_set and loaded.components[product.pk]:
            # The box holds the set's components: those are what is picked from the shelves.
            parts = loaded.components[product.pk]
            lines += [NoteLine(code, part, qty * line.quantity) for code, part, qty in parts]
        elif picked:
            lines.append(NoteLine(sku, name, line.quantity))
        else:
            lines.append(NoteLine(sku, line.name or name, line.quantity, line.unit_price))
    # The order's postage and discounts are printed once, on its first package's note (a riding package is its
    # order's only one).
    first = loaded.first_package.get(order.pk, package.pk) == package.pk
    return DeliveryNote(
        request_id=request_id,
        order_number=order.mall_order_number,
        ordered_on=timezone.localdate(order.ordered_at),
        recipient_name=package.recipient_name,
        recipient_address=(
            f"〒{package.postal_code} {package.prefecture}{package.city}{package.address1} {package.address2}"
        ).strip(),
        lines=tuple(lines),
        postage=order.postage if first else 0,
        discount=(order.coupon_used + order.points_used) if first else 0,
        buyer_name=order.buyer_name,
        sender=settings.sender(order.shop.name) if settings else None,
    )


def picking_list(request_ids: Sequence[int], printed_at: datetime) -> bytes:
    """The picking list PDF: set products as their components, SKUs summed."""
    return picking_list_pdf(_notes(_load(request_ids), picked=True), timezone.localtime(printed_at))


def delivery_notes(request_ids: Sequence[int], settings: SlipSettings) -> bytes:
    """The delivery notes PDF (納品書), one page per request, as the buyer ordered (sets as sets)."""
    return delivery_notes_pdf(settings.sender(), _notes(_load(request_ids), picked=False, settings=settings))
