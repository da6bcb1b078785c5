"""受注CSV取込 and the other CSVs against the database: whole orders only, nothing twice, round trips."""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.core.management import CommandError, call_command

from juchu.catalog.models import MallItemMapping, Stock
from juchu.csvio.catalog_files import export_mappings, export_stock, import_mappings, import_products, import_stock
from juchu.csvio.orders import commit_order_csv, orders_to_csv, preview_order_csv
from juchu.csvio.shipments import export_shipments
from juchu.fulfillment.models import Parcel, Shipment, ShipmentRequest
from juchu.orders.models import Order, OrderLine
from tests.unit.test_csv_orders import continuation, row, to_bytes


def test_preview_lists_bad_rows_and_commit_imports_only_whole_good_orders(world, clock) -> None:
    # given a CP932 file: a good two-line order, an order whose second line is bad, and a good order
    shop = world["shop"]
    data = to_bytes(
        [row("A-1"), continuation("A-1", 商品ID="item-b"), row("B-2"), continuation("B-2", 数量="多め"), row("C-3")],
        "cp932",
    )
    # when previewed, nothing is imported and every bad row is listed with row and column
    preview = preview_order_csv(shop, data)
    assert (preview.rows, preview.orders, preview.new, preview.existing) == (5, 2, ["A-1", "C-3"], [])
    assert [(e.row, e.column, e.order_number) for e in preview.errors] == [(5, "数量", "B-2")]
    assert Order.objects.count() == 0
    # when committed, the two good orders are imported with every line, the bad one not at all
    result = commit_order_csv(shop, data, "operator", clock.now)
    assert sorted(result.created) == ["A-1", "C-3"] and result.rejected == ["B-2"]
    assert sorted(Order.objects.values_list("mall_order_number", flat=True)) == ["A-1", "C-3"]
    lines = OrderLine.objects.filter(order__mall_order_number="A-1").order_by("seq")
    assert [(line.mall_item_id, line.quantity, line.product.code) for line in lines] == [
        ("item-a", 2, "SKU-A"),
        ("item-b", 1, "SKU-B"),
    ]
    assert Order.objects.get(mall_order_number="A-1").due_at == clock.now


def test_uploading_the_same_file_again_imports_nothing_twice(world, clock) -> None:
    data = to_bytes([row("A-1"), row("C-3")], "utf-8-sig", "\n")
    first = commit_order_csv(world["shop"], data, "operator", clock.now)
    preview = preview_order_csv(world["shop"], data)
    again = commit_order_csv(world["shop"], data, "operator", clock.advance(minutes=1))
    assert len(first.created) == 2 and preview.new == [] and preview.existing == ["A-1", "C-3"]
    assert again.created == [] and sorted(again.unchanged) == ["A-1", "C-3"]
    assert Order.objects.count() == 2 and OrderLine.objects.count() == 2


def test_the_order_export_reads_back_as_the_same_orders(world, clock) -> None:
    shop = world["shop"]
    commit_order_csv(
        shop, to_bytes([row("A-1"), row("A-1", 送付先番号="2", 商品ID="item-b")], "cp932"), "op", clock.now
    )
    out = io.BytesIO()
    assert orders_to_csv(Order.objects.filter(shop=shop), out, "cp932") == 1
    exported = out.getvalue()
    assert exported.decode("cp932").splitlines()[0].endswith("ステータス,SKU")
    assert "新規受付" in exported.decode("cp932")
    again = commit_order_csv(shop, exported, "op", clock.advance(minutes=1))
    assert again.errors == [] and again.unchanged == ["A-1"]


def test_the_import_command_shows_progress_and_reports_bad_rows(world, tmp_path, capsys) -> None:
    path = tmp_path / "orders.csv"
    path.write_bytes(to_bytes([row("A-1"), row("B-2", 注文日時="昨日")], "cp932"))
    # the bad row makes the command fail, after importing the good order
    with pytest.raises(CommandError, match="1 件のエラー"):
        call_command("import_orders", str(path), "--shop", "demo")
    captured = capsys.readouterr()
    assert "新規 1 件" in captured.out
    assert "100% 1/1 件" in captured.err and "3行目 注文日時" in captured.err and "[受注 B-2]" in captured.err
    assert list(Order.objects.values_list("mall_order_number", flat=True)) == ["A-1"]


MAPPING_HEADER = "削除フラグ,ショップID,SKUコード,モール商品ID,サブコード,在庫連動区分\r\n"


def test_mapping_csv_adds_updates_and_deletes_and_wakes_waiting_orders(world, clock) -> None:
    # given an order for an item nobody mapped yet
    commit_order_csv(world["shop"], to_bytes([row("U-1", 商品ID="item-new")]), "op", clock.now)
    assert OrderLine.objects.get().product is None
    data = (
        MAPPING_HEADER
        + "0,demo,SKU-C,item-new,,9\r\n"  # add, do not sync stock
        + "1,demo,SKU-A,item-a,,\r\n"  # delete
        + "0,demo,SKU-B,item-b,赤,0\r\n"  # add a variant
        + "0,nosuch,SKU-A,item-x,,\r\n"  # unknown shop
        + "0,demo,SKU-ZZZ,item-y,,\r\n"  # unknown SKU
        + "0,demo,SKU-A,item-z,,5\r\n"  # bad 在庫連動区分
        + "0,demo,SKU-A,item-new,,0\r\n"  # the same item twice
    ).encode("cp932")
    result = import_mappings(data, clock.advance(seconds=1))
    assert [(e.row, e.column) for e in result.errors] == [
        (5, "ショップID"),
        (6, "SKUコード"),
        (7, "在庫連動区分"),
        (8, "モール商品ID"),
    ]
    assert (result.applied.created, result.applied.deleted, result.applied.woken) == (2, 1, 1)
    new = MallItemMapping.objects.get(mall_item_id="item-new")
    assert new.product.code == "SKU-C" and new.sync_stock is False
    assert not MallItemMapping.objects.filter(mall_item_id="item-a").exists()
    assert OrderLine.objects.get().product.code == "SKU-C"
    # and the export writes the same layout back
    exported = export_mappings(world["shop"]).decode("cp932").splitlines()
    assert exported[0] == MAPPING_HEADER.strip() + ",安全在庫数"
    assert "0,demo,SKU-C,item-new,,9,0" in exported and "0,demo,SKU-B,item-b,赤,0,0" in exported


def test_product_and_stock_csvs(world, clock) -> None:
    products = import_products("SKUコード,商品名,価格\nNEW-1,新商品,980\nSKU-A,商品A改,\n,名無し,1\n".encode())
    assert (products.applied.created, products.applied.updated) == (1, 1)
    assert [(e.row, e.column) for e in products.errors] == [(4, "SKUコード")]
    stock = import_stock("倉庫コード,SKUコード,在庫数\nrsl,NEW-1,12\nrsl,SET-AB,3\nrsl,SKU-B,-1\n".encode(), clock.now)
    assert stock.applied.updated == 1 and [(e.row, e.column) for e in stock.errors] == [(3, "SKUコード"), (4, "在庫数")]
    assert Stock.objects.get(product__code="NEW-1").on_hand == 12
    assert "rsl,NEW-1,12,0,12" in export_stock(world["warehouse"]).decode("cp932")


def test_shipment_results_export_lists_each_parcel(world, clock) -> None:
    commit_order_csv(world["shop"], to_bytes([row("S-1")]), "op", clock.now)
    order = Order.objects.get()
    package = order.packages.get()
    request = ShipmentRequest.objects.create(
        request_id="r1", order=order, package=package, warehouse=world["warehouse"], created_at=clock.now
    )
    shipment = Shipment.objects.create(
        package=package, request=request, carrier_code="1001", shipped_on=date(2026, 11, 27), recorded_at=clock.now
    )
    Parcel.objects.create(shipment=shipment, tracking_number="1234-5678-9012")
    Parcel.objects.create(shipment=shipment, tracking_number="1234-5678-9013")
    lines = export_shipments(world["shop"], since=date(2026, 11, 27)).decode("cp932").splitlines()
    assert lines == [
        "受注番号,送付先番号,モール送付先ID,出荷日,配送会社コード,配送会社名,お問い合わせ番号",
        "S-1,1,1,2026-11-27,1001,ヤマト運輸,1234-5678-9012",
        "S-1,1,1,2026-11-27,1001,ヤマト運輸,1234-5678-9013",
    ]
    assert export_shipments(world["shop"], since=date(2026, 11, 28)).decode("cp932").count("\n") == 1
