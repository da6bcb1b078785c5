"""The 自社出荷 screens through Django's test client: who may use them, issuing a batch, its downloads (content
types and encodings), the tracking upload, and the own warehouse's slip settings."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from juchu.domain.status import OrderStatus
from juchu.fulfillment.models import SelfShipBatch, Shipment, Warehouse
from juchu.fulfillment.selfship_settings import SlipSettings
from juchu.fulfillment.slips import Cool, Service
from juchu.orders.models import Order
from juchu.web.auth import Role, create_user
from tests.integration.test_selfship import awaiting_shipment, b2_issued, own_warehouse_for, tracking

PASSWORD = "Juchu-test-pass-2026"


@pytest.fixture
def own(world):
    return own_warehouse_for(world)


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    return tmp_path


def client_for(role: Role) -> Client:
    client = Client()
    client.force_login(create_user(role.code, PASSWORD, role))
    return client


def issue(client: Client, warehouse: Warehouse):
    return client.post(reverse("files-selfship-issue"), {"warehouse": warehouse.pk})


def test_a_viewer_gets_403_on_every_selfship_screen_and_nothing_moves(own, fakes, clock) -> None:
    awaiting_shipment(fakes, clock, "V-1")
    client = client_for(Role.VIEWER)
    batch = SelfShipBatch.objects.create(
        warehouse=own["own"], issued_at=clock.now, issued_by="x", ship_date=clock.now.date(), carrier="1001"
    )
    responses = [
        client.get(reverse("files-selfship")),
        issue(client, own["own"]),
        client.post(reverse("files-selfship-import"), {"warehouse": own["own"].pk}),
        *(client.get(reverse(name, args=[batch.pk])) for name in ("files-selfship-batch", "files-selfship-slips")),
        *(client.get(reverse(name, args=[batch.pk])) for name in ("files-selfship-picking", "files-selfship-notes")),
    ]

    assert [r.status_code for r in responses] == [403] * 7
    assert Order.objects.get().status == OrderStatus.AWAITING_SHIPMENT.value


def test_an_operator_issues_a_batch_downloads_its_files_and_uploads_the_tracking_numbers(own, fakes, clock) -> None:
    awaiting_shipment(fakes, clock, "W-1", "W-2")
    client = client_for(Role.OPERATOR)

    # the page counts the due requests and lists their orders
    page = client.get(reverse("files-selfship"))
    assert page.status_code == 200
    assert page.context["due_count"] == 2
    assert [r.order.mall_order_number for r in page.context["due"]] == ["W-1", "W-2"]

    # issuing leads to the batch page; the orders are 出荷作業中
    response = issue(client, own["own"])
    batch = SelfShipBatch.objects.get()
    assert response.status_code == 302 and response.url == reverse("files-selfship-batch", args=[batch.pk])
    assert set(Order.objects.values_list("status", flat=True)) == {OrderStatus.SHIPPING.value}
    detail = client.get(response.url)
    assert detail.status_code == 200 and len(detail.context["rows"]) == 2 and detail.context["flagged"] == []

    # the downloads: CP932 CSV, two PDFs, each an attachment
    slips = client.get(reverse("files-selfship-slips", args=[batch.pk]))
    assert slips["Content-Type"] == "text/csv; charset=Shift_JIS"
    assert slips["Content-Disposition"] == f'attachment; filename="slips-own-{batch.pk}.csv"'
    lines = slips.content.decode("cp932").split("\r\n")
    assert lines[0].startswith("お客様管理番号,送り状種類") and len([x for x in lines[1:] if x]) == 2
    for name, stem in (("files-selfship-picking", "picking"), ("files-selfship-notes", "notes")):
        pdf = client.get(reverse(name, args=[batch.pk]))
        assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
        assert pdf["Content-Disposition"] == f'attachment; filename="{stem}-own-{batch.pk}.pdf"'
    assert client.post(reverse("files-selfship-slips", args=[batch.pk])).status_code == 405

    # the carrier's issued data: one good row, one bad row; then the same file again applies nothing
    keys = dict(batch.items.values_list("request__order__mall_order_number", "slip_key"))
    data = b2_issued([(keys["W-1"], tracking(11), "2026/11/26"), (keys["W-2"], "", "")])
    form = {"warehouse": own["own"].pk, "carrier": ""}
    result = client.post(reverse("files-selfship-import"), {**form, "file": SimpleUploadedFile("b2.csv", data)})
    assert result.status_code == 200
    assert result.context["result"].recorded.shipped == 1
    assert [(e.row, e.column) for e in result.context["result"].errors] == [(3, "伝票番号")]
    assert "空です (まだ発行されていません)" in result.content.decode()
    again = client.post(reverse("files-selfship-import"), {**form, "file": SimpleUploadedFile("b2.csv", data)})
    assert again.context["result"].recorded.shipped == 0 and again.context["result"].already_shipped == ["W-1"]
    assert Shipment.objects.count() == 1


def test_issuing_with_incomplete_settings_says_what_is_missing(own, fakes, clock) -> None:
    Warehouse.objects.filter(pk=own["own"].pk).update(slip_settings={"sender_name": "デモ店"})
    awaiting_shipment(fakes, clock, "M-1")
    client = client_for(Role.OPERATOR)

    response = issue(client, own["own"])

    assert response.status_code == 302
    page = client.get(response.url).content.decode()
    assert "自社出荷の設定が足りません: ご依頼主の郵便番号、ご依頼主の住所" in page
    assert Order.objects.get().status == OrderStatus.AWAITING_SHIPMENT.value


def test_an_admin_adds_an_own_warehouse_and_saves_its_slip_settings(db) -> None:
    client = client_for(Role.ADMIN)

    response = client.post(reverse("settings-warehouse-add-own"), {"code": "own-tokyo", "name": "東京倉庫"})
    warehouse = Warehouse.objects.get(code="own-tokyo")
    assert (warehouse.connector, warehouse.every_day, warehouse.observe_holidays) == ("selfship", False, True)
    assert response.url == reverse("settings-warehouse", args=[warehouse.pk])
    assert "slip-settings" in client.get(response.url).content.decode()

    form = {
        "slip-carrier": "1001",
        "slip-sender_name": "デモ店",
        "slip-sender_postal_code": "150-0001",
        "slip-sender_address": "東京都渋谷区神宮前1-1-1",
        "slip-sender_phone": "03-0000-1111",
        "slip-b2_customer_code": "0123-4567-8901",
        "slip-b2_freight_number": "01",
        "slip-b2_mail_code": "A",
        "slip-default_service": "parcel",
        "slip-services": "YUPACK = 宅配便\nNEKOPOS = メール便\nCOOL = 宅配便 冷蔵",
    }
    bad = client.post(reverse("settings-warehouse-slips", args=[warehouse.pk]), {**form, "slip-services": "X = 船便"})
    assert bad.status_code == 200 and "1行目" in bad.content.decode()
    client.post(reverse("settings-warehouse-slips", args=[warehouse.pk]), form)

    warehouse.refresh_from_db()
    saved = SlipSettings.from_json(warehouse.slip_settings)
    assert (saved.b2_customer_code, saved.b2_mail_code, saved.missing()) == ("012345678901", "A", [])
    assert saved.services == {
        "YUPACK": (Service.PARCEL, Cool.NONE),
        "NEKOPOS": (Service.MAIL, Cool.NONE),
        "COOL": (Service.PARCEL, Cool.CHILLED),
    }


def test_an_operator_cannot_change_slip_settings(own) -> None:
    response = client_for(Role.OPERATOR).post(reverse("settings-warehouse-slips", args=[own["own"].pk]), {})

    assert response.status_code == 403
