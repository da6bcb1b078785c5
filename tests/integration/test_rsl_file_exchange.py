"""Shipment requests out and results in by CSV file, for a warehouse without an API connection."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from juchu.domain.status import OrderStatus
from juchu.fulfillment.models import Warehouse
from juchu.orders.models import Order
from juchu.runtime.sweeps import run_all
from tests.integration.conftest import mall_order


@pytest.fixture
def by_file(world):
    Warehouse.objects.filter(pk=world["warehouse"].pk).update(connector="")  # the shop works by file
    return world


def test_requests_go_out_in_a_cp932_file_and_results_come_back_in_one(by_file, fakes, clock, tmp_path) -> None:
    mall, _warehouse = fakes
    mall.put(mall_order("F-1", clock.now, quantity=2), clock.now)
    mall.put(mall_order("F-2", clock.now), clock.now)
    run_all(clock.advance(seconds=1))
    run_all(clock.advance(minutes=31))
    assert set(Order.objects.values_list("status", flat=True)) == {OrderStatus.AWAITING_SHIPMENT.value}

    # when the operator exports the requests
    out = tmp_path / "requests.csv"
    call_command("rsl_csv", "export", str(out), warehouse="rsl")

    # then the file holds both, in CP932, and the orders are the warehouse's now
    text = out.read_bytes().decode("cp932")
    assert text.splitlines()[0].startswith("出荷依頼ID,受注番号")
    assert "demo-F-1-1-1" in text and "demo-F-2-1-1" in text
    assert set(Order.objects.values_list("status", flat=True)) == {OrderStatus.SHIPPING.value}
    # and exporting again writes nothing twice
    again = tmp_path / "again.csv"
    call_command("rsl_csv", "export", str(again), warehouse="rsl")
    assert again.read_bytes() == b""

    # when RSL's result file comes back with one good row and one bad row
    results = tmp_path / "results.csv"
    results.write_bytes(
        "出荷依頼ID,状態,出荷日,配送会社コード,お問い合わせ番号,理由\r\n"
        "demo-F-1-1-1,出荷済,2026-11-26,1029,123456789012,\r\n"
        "demo-F-2-1-1,出荷済,,1029,,\r\n".encode("cp932")
    )
    with pytest.raises(CommandError, match="1 行を取り込めませんでした"):
        call_command("rsl_csv", "import", str(results), warehouse="rsl")

    # then the good row is recorded and the order completes; the bad one waits, nothing else changed
    run_all(timezone.now())  # the command recorded the results at the real time
    assert Order.objects.get(mall_order_number="F-1").status == OrderStatus.COMPLETED.value
    assert Order.objects.get(mall_order_number="F-2").status == OrderStatus.SHIPPING.value
    assert [r.tracking_numbers for r in mall.reports_for("F-1")] == [("123456789012",)]


def test_an_unknown_warehouse_code_is_a_clear_error(db, tmp_path) -> None:
    with pytest.raises(CommandError, match="倉庫コード nowhere は登録されていません"):
        call_command("rsl_csv", "export", str(tmp_path / "x.csv"), warehouse="nowhere")
