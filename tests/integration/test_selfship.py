"""Own-warehouse shipping (自社出荷) through the real pipeline: orders of a shop on its own warehouse wait in
出荷待ち, a batch is issued (出荷作業中), its slips and PDFs are written, and the carrier's issued-slip file brings
the tracking numbers back as shipments."""

from __future__ import annotations

import shutil
import subprocess
from datetime import date

import pytest
from django.core.management import CommandError, call_command

from juchu.catalog.models import Stock
from juchu.domain.effects import EffectKind
from juchu.domain.status import OrderStatus
from juchu.fulfillment.models import Parcel, RequestState, SelfShipBatch, Shipment, ShipmentRequest, Warehouse
from juchu.fulfillment.selfship import NotReady, batch_request_ids, batch_slips, import_tracking, issue_batch
from juchu.fulfillment.selfship_paperwork import delivery_notes, picking_list
from juchu.fulfillment.selfship_settings import SlipSettings
from juchu.fulfillment.slips import Cool, Service
from juchu.orders.models import Effect, Order, Package
from juchu.runtime.sweeps import run_all
from juchu.shops.models import Shop
from tests.integration.conftest import mall_order

SETTINGS = SlipSettings(
    sender_name="デモ店",
    sender_postal_code="150-0001",
    sender_address="東京都渋谷区神宮前1-1-1",
    sender_phone="03-0000-1111",
    b2_customer_code="012345678901",
    services={"YUPACK": (Service.PARCEL, Cool.NONE)},
)


def tracking(seed: int) -> str:
    """A 12-digit number with a valid 7DR check digit, as B2クラウド issues them."""
    body = 40000000000 + seed
    return f"{body}{body % 7}"


def b2_issued(rows: list[tuple[str, str, str]]) -> bytes:
    """A B2クラウド 発行済データ file: お客様管理番号, 伝票番号, 出荷予定日 (CP932, CRLF)."""
    lines = ["お客様管理番号,送り状種類,クール区分,伝票番号,出荷予定日"]
    lines += [f"{key},0,0,{number},{day}" for key, number, day in rows]
    return ("\r\n".join(lines) + "\r\n").encode("cp932")


@pytest.fixture
def own(world):
    """The world's shop ships from its own warehouse (connector selfship), set up for B2クラウド."""
    return own_warehouse_for(world)


def own_warehouse_for(world):
    """Move the world's shop onto a new own warehouse with stock and B2 settings."""
    warehouse = Warehouse.objects.create(
        code="own",
        name="自社倉庫",
        connector="selfship",
        every_day=False,
        observe_holidays=True,
        slip_settings=SETTINGS.to_json(),
    )
    Shop.objects.filter(pk=world["shop"].pk).update(warehouse=warehouse)
    for product in world["products"].values():
        Stock.objects.create(warehouse=warehouse, product=product, on_hand=1000)
    return {**world, "own": warehouse}


def awaiting_shipment(fakes, clock, *numbers: str) -> None:
    mall, _warehouse = fakes
    for number in numbers:
        mall.put(mall_order(number, clock.now, quantity=2 if number.endswith("1") else 1), clock.now)
    run_all(clock.advance(seconds=1))
    run_all(clock.advance(minutes=31))


def statuses() -> dict[str, str]:
    return dict(Order.objects.values_list("mall_order_number", "status"))


def pdf_text(data: bytes, tmp_path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    path = tmp_path / "out.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True).stdout.decode()


def test_own_warehouse_orders_wait_in_awaiting_shipment_until_a_batch_is_issued_then_ship_by_the_b2_file(
    own, fakes, clock, tmp_path
) -> None:
    mall, _rsl = fakes
    warehouse = own["own"]
    # given three paid orders of the shop on its own warehouse, one with an address too long for a B2 slip
    awaiting_shipment(fakes, clock, "S-1", "S-2", "S-3")
    Package.objects.filter(order__mall_order_number="S-3").update(address1="霞が関" * 40)
    run_all(clock.advance(minutes=5))  # the submit sweep passes by: nothing goes to an API
    assert set(statuses().values()) == {OrderStatus.AWAITING_SHIPMENT.value}
    assert set(ShipmentRequest.objects.values_list("state", "attempts")) == {(RequestState.PENDING.value, 0)}
    assert set(Order.objects.values_list("explanation", flat=True)) == {
        "出荷待ち: 自社出荷の出荷指示 (ファイル › 自社出荷) を待っています"
    }

    # when the operator issues a batch
    issued = issue_batch(warehouse, clock.now, "tanaka")

    # then every due request is in it, the orders are 出荷作業中, and the refused slip is flagged, not dropped
    batch = issued.batch
    assert batch is not None and issued.issued == 3
    assert (batch.issued_by, batch.ship_date, batch.carrier) == ("tanaka", date(2026, 11, 26), "1001")
    assert set(statuses().values()) == {OrderStatus.SHIPPING.value}
    items = {i.request.order.mall_order_number: i for i in batch.items.select_related("request__order")}
    assert sorted(items) == ["S-1", "S-2", "S-3"]
    assert [(i.slip_error_column, i.slip_error != "") for i in items.values()] == [
        ("", False),
        ("", False),
        ("お届け先住所", True),
    ]
    assert {i.request.warehouse_order_id for i in items.values()} == {i.slip_key for i in items.values()}
    # and issuing again finds nothing due
    assert issue_batch(warehouse, clock.advance(seconds=1), "tanaka").batch is None

    # the B2 file: CP932, CRLF, the 95-column header, one row per writable request
    slips = batch_slips(batch)
    text = slips.data.decode("cp932")
    rows = [line.split(",") for line in text.split("\r\n") if line]
    assert len(rows[0]) == 95
    assert rows[0][:5] == ["お客様管理番号", "送り状種類", "クール区分", "伝票番号", "出荷予定日"]
    assert [r[0] for r in rows[1:]] == [items["S-1"].slip_key, items["S-2"].slip_key]
    first = dict(zip(rows[0], rows[1], strict=True))
    assert (first["送り状種類"], first["出荷予定日"], first["お届け先郵便番号"]) == ("0", "2026/11/26", "1000001")
    assert (first["お届け先住所"], first["お届け先名"]) == ("東京都千代田区千代田1-1", "山田 太郎S-1")
    sender = (first["ご依頼主名"], first["ご依頼主郵便番号"], first["ご依頼主電話番号"])
    assert sender == ("デモ店", "1500001", "0300001111")
    assert (first["請求先顧客コード"], first["運賃管理番号"], first["記事"]) == ("012345678901", "01", "受注番号 S-1")
    assert [e.column for e in slips.errors] == ["お届け先住所"]

    # the picking list sums the SKUs; the delivery notes have one page per request
    picking = pdf_text(picking_list(batch_request_ids(batch), clock.now), tmp_path)
    assert "ピッキングリスト" in picking and "出荷依頼 3 件" in picking
    assert "SKU-A" in picking and " 4 " in picking  # 2 + 1 + 1
    notes = delivery_notes(batch_request_ids(batch), SETTINGS)
    notes_text = pdf_text(notes, tmp_path)
    assert notes_text.count("納品書") == 3 and "S-1" in notes_text and "デモ店" in notes_text

    # when B2's issued-data file comes back: two good rows (S-3 written by hand with its key) and a bad one
    issued_file = b2_issued(
        [
            (items["S-1"].slip_key, tracking(1), "2026/11/26"),
            (items["S-3"].slip_key, tracking(3), "2026/11/26"),
            (items["S-2"].slip_key, "12345", "2026/11/26"),
        ]
    )
    result = import_tracking(warehouse, issued_file, clock.advance(hours=5))

    # then the good rows are shipments, the bad row is reported by row and column, S-2 still waits
    assert result.recorded.shipped == 2 and result.shipped_orders == ["S-1", "S-3"]
    assert [(e.row, e.column) for e in result.errors] == [(4, "伝票番号")]
    shipment = Shipment.objects.get(package__order__mall_order_number="S-1")
    assert (shipment.carrier_code, shipment.carrier_name) == ("1001", "ヤマト運輸")
    assert shipment.shipped_on == date(2026, 11, 26)
    assert list(shipment.parcels.values_list("tracking_number", flat=True)) == [tracking(1)]
    kinds = set(Effect.objects.filter(order__mall_order_number="S-1").values_list("kind", flat=True))
    assert {EffectKind.MALL_REPORT.value, EffectKind.SHIPPING_MAIL.value} <= kinds

    # and the pipeline carries on as for RSL: 全出荷済, the mall hears of it, the orders complete
    run_all(clock.advance(seconds=1))
    assert statuses() == {
        "S-1": OrderStatus.COMPLETED.value,
        "S-2": OrderStatus.SHIPPING.value,
        "S-3": OrderStatus.COMPLETED.value,
    }
    assert [r.tracking_numbers for r in mall.reports_for("S-1")] == [(tracking(1),)]
    assert [r.tracking_numbers for r in mall.reports_for("S-3")] == [(tracking(3),)]

    # when the same file is imported again, nothing is applied twice
    shipments, parcels = Shipment.objects.count(), Parcel.objects.count()
    again = import_tracking(warehouse, issued_file, clock.advance(minutes=1))
    assert again.recorded.shipped == 0 and again.already_shipped == ["S-1", "S-3"]
    assert (Shipment.objects.count(), Parcel.objects.count()) == (shipments, parcels)
    assert [(e.row, e.column) for e in again.errors] == [(4, "伝票番号")]


def test_a_warehouse_without_slip_settings_cannot_issue_and_nothing_moves(own, fakes, clock) -> None:
    warehouse = own["own"]
    Warehouse.objects.filter(pk=warehouse.pk).update(slip_settings={})
    warehouse.refresh_from_db()
    awaiting_shipment(fakes, clock, "N-1")

    missing = "ご依頼主名、ご依頼主の郵便番号、ご依頼主の住所、ご依頼主の電話番号、B2 請求先顧客コード"
    with pytest.raises(NotReady, match=missing):
        issue_batch(warehouse, clock.now, "tanaka")

    assert statuses() == {"N-1": OrderStatus.AWAITING_SHIPMENT.value}
    assert SelfShipBatch.objects.count() == 0
    assert ShipmentRequest.objects.get().attempts == 0


def test_an_rsl_warehouse_cannot_issue_a_selfship_batch(world, clock) -> None:
    with pytest.raises(NotReady, match="自社倉庫ではありません"):
        issue_batch(world["warehouse"], clock.now, "tanaka")


def test_a_key_from_another_warehouse_or_unknown_is_a_bad_row(own, clock) -> None:
    result = import_tracking(own["own"], b2_issued([("J999999", tracking(9), "2026/11/26")]), clock.now)

    assert result.recorded.shipped == 0
    assert [(e.row, e.column, e.reason) for e in result.errors] == [
        (2, "お客様管理番号", "'J999999' はこの倉庫の出荷指示にありません")
    ]


def test_the_commands_issue_a_batch_with_its_files_and_import_the_tracking_numbers(own, fakes, clock, tmp_path) -> None:
    awaiting_shipment(fakes, clock, "C-1")

    call_command("selfship", "issue", warehouse="own", out=str(tmp_path))

    batch = SelfShipBatch.objects.get()
    stem = f"selfship-own-{batch.pk}"
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == [f"{stem}-notes.pdf", f"{stem}-picking.pdf", f"{stem}-slips.csv"]
    assert (tmp_path / f"{stem}-picking.pdf").read_bytes().startswith(b"%PDF")
    assert statuses() == {"C-1": OrderStatus.SHIPPING.value}

    key = batch.items.get().slip_key
    issued = tmp_path / "issued.csv"
    issued.write_bytes(b2_issued([(key, tracking(7), "2026/11/26"), ("", tracking(8), "")]))
    with pytest.raises(CommandError, match="1 行を取り込めませんでした"):
        call_command("selfship", "import", str(issued), warehouse="own")
    assert Shipment.objects.get().parcels.get().tracking_number == tracking(7)


def test_the_issue_command_on_an_unknown_warehouse_is_a_clear_error(db) -> None:
    with pytest.raises(CommandError, match="倉庫コード nowhere は登録されていません"):
        call_command("selfship", "issue", warehouse="nowhere")


def test_a_merged_box_from_the_own_warehouse_carries_every_orders_items_and_a_note_per_order(
    own, fakes, clock, tmp_path
) -> None:
    from juchu.orders import merge_actions

    mall, _rsl = fakes
    warehouse = own["own"]
    # given two orders of one buyer to one address, merged (同梱) before they are paid
    for number, item in (("M-1", "item-a"), ("M-2", "item-b")):
        mall.put(mall_order(number, clock.now, item=item, buyer="佐藤 花子", payment="銀行振込", paid=False), clock.now)
        clock.advance(minutes=1)
    run_all(clock.advance(minutes=31))
    run_all(clock.advance(seconds=2))
    merge_actions.merge_orders([Order.objects.get(mall_order_number=n).pk for n in ("M-1", "M-2")], "op", clock.now)
    for number in ("M-1", "M-2"):
        mall.pay(number, clock.now)
    for _ in range(3):
        run_all(clock.advance(seconds=2))

    # when the operator issues the batch
    issued = issue_batch(warehouse, clock.now, "tanaka")

    # then the one box's slip, picking list and delivery notes cover both orders
    assert issued.issued == 1
    ids = batch_request_ids(issued.batch)
    row = batch_slips(issued.batch).data.decode("cp932").split("\r\n")[1].split(",")
    assert "商品A" in ",".join(row) and "商品B" in ",".join(row), row
    picking = pdf_text(picking_list(ids, clock.now), tmp_path)
    assert "SKU-A" in picking and "SKU-B" in picking
    notes = pdf_text(delivery_notes(ids, SETTINGS), tmp_path)
    assert "M-1" in notes and "M-2" in notes


def test_an_automatic_rule_routes_matching_orders_to_the_own_warehouse_and_the_rest_to_rsl(world, fakes, clock) -> None:
    from juchu.orders.task_models import TaskRule, UpdateTask

    mall, _rsl = fakes
    own = own_warehouse_for(world)["own"]
    Shop.objects.filter(pk=world["shop"].pk).update(warehouse=world["warehouse"])  # the shop ships from RSL
    # given a rule: orders to Okinawa ship from the own warehouse (更新タスク 出荷倉庫の変更)
    task = UpdateTask.objects.create(
        name="沖縄は自社出荷",
        actions=[{"kind": "switch_warehouse", "params": {"warehouse": own.code}, "mall_write": False}],
    )
    TaskRule.objects.create(name="沖縄", task=task, conditions=[{"field": "prefecture", "op": "eq", "value": "沖縄県"}])
    mall.put(mall_order("R-1", clock.now, prefecture="沖縄県", postal="9000001"), clock.now)
    mall.put(mall_order("R-2", clock.now), clock.now)

    run_all(clock.advance(seconds=1))
    run_all(clock.advance(minutes=31))
    run_all(clock.advance(seconds=2))

    # then the Okinawa order waits for the own warehouse's batch, the other went to RSL
    routed = Order.objects.get(mall_order_number="R-1")
    assert (routed.warehouse_id, routed.status) == (own.pk, OrderStatus.AWAITING_SHIPMENT.value)
    assert Order.objects.get(mall_order_number="R-2").status == OrderStatus.SHIPPING.value
    issued = issue_batch(own, clock.now, "tanaka")
    assert issued.issued == 1
    assert [i.request.order.mall_order_number for i in issued.batch.items.select_related("request__order")] == ["R-1"]
