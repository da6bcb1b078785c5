"""The file screens (ファイル) through Django's test client: who may use them, 受注CSV取込 from upload to
commit, the catalogue imports, the exports and the RSL CSV exchange."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from juchu.catalog.models import Product
from juchu.csvio.catalog_files import MAPPING_COLUMNS, STOCK_EXPORT_COLUMNS
from juchu.domain.status import OrderStatus
from juchu.fulfillment.models import Warehouse
from juchu.orders.models import Order, OrderLine
from juchu.runtime.sweeps import run_all
from juchu.web.auth import Role, create_user
from tests.integration.conftest import mall_order
from tests.unit.test_csv_orders import continuation, row, to_bytes

PASSWORD = "Juchu-test-pass-2026"


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path):
    """Uploads and exports are kept under a data directory of the test's own."""
    settings.DATA_DIR = tmp_path
    return tmp_path


def client_for(role: Role, username: str | None = None) -> Client:
    client = Client()
    client.force_login(create_user(username or role.code, PASSWORD, role))
    return client


def page(response) -> str:
    return response.content.decode()


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="text/csv")


def cp932_file_with_one_bad_row() -> bytes:
    """Two good orders (one of two lines) and an order whose second line has a bad 数量 (row 5)."""
    rows = [row("A-1"), continuation("A-1", 商品ID="item-b"), row("B-2"), continuation("B-2", 数量="多め"), row("C-3")]
    return to_bytes(rows, "cp932")


def preview(client: Client, shop, data: bytes):
    return client.post(reverse("files-orders"), {"shop": shop.pk, "file": upload("受注.csv", data)})


def commit(client: Client, response):
    form = response.context["commit_form"]
    return client.post(reverse("files-orders-commit"), {"shop": form.initial["shop"], "token": form.initial["token"]})


# -- access ------------------------------------------------------------------------------------------------


def test_anonymous_users_are_sent_to_the_login_page(db) -> None:
    for name, args in [("files-index", ()), ("files-orders", ()), ("files-export", ("products",))]:
        response = Client().get(reverse(name, args=args))
        assert response.status_code == 302 and response.url.startswith("/login/?next=/files/")


def test_a_viewer_may_export_but_gets_403_on_every_upload_and_import(world) -> None:
    client = client_for(Role.VIEWER)
    shop, warehouse = world["shop"], world["warehouse"]
    data = cp932_file_with_one_bad_row()
    products = Product.objects.count()
    forbidden = [
        client.get(reverse("files-orders")),
        preview(client, shop, data),
        client.post(reverse("files-orders-commit"), {"shop": shop.pk, "token": "x" * 32}),
        client.get(reverse("files-import", args=["mappings"])),
        client.post(
            reverse("files-import", args=["products"]), {"file": upload("p.csv", "SKUコード\r\nX-1\r\n".encode())}
        ),
        client.get(reverse("files-rsl")),
        client.post(reverse("files-rsl-export"), {"export-warehouse": warehouse.pk}),
        client.post(reverse("files-rsl-import"), {"result-warehouse": warehouse.pk}),
    ]
    assert [r.status_code for r in forbidden] == [403] * len(forbidden)
    assert Order.objects.count() == 0 and Product.objects.count() == products
    # the index and the exports are theirs, without the import buttons
    index = client.get(reverse("files-index"))
    assert index.status_code == 200
    assert reverse("files-orders") not in page(index) and reverse("files-import", args=["stock"]) not in page(index)
    assert client.get(reverse("files-export", args=["products"])).status_code == 200
    assert client.get(reverse("files-shipments-export"), {"shop": shop.pk}).status_code == 200


def test_an_operator_imports_orders_but_gets_403_on_the_catalogue_imports(world) -> None:
    client = client_for(Role.OPERATOR)
    assert client.get(reverse("files-orders")).status_code == 200
    for kind in ("mappings", "products", "stock"):
        assert client.get(reverse("files-import", args=[kind])).status_code == 403
    assert reverse("files-orders") in page(client.get(reverse("files-index")))


# -- 受注CSV取込 ----------------------------------------------------------------------------------------------


def test_the_preview_lists_the_bad_row_and_imports_nothing(world, data_dir) -> None:
    client = client_for(Role.OPERATOR)
    response = preview(client, world["shop"], cp932_file_with_one_bad_row())
    assert response.status_code == 200
    html = page(response)
    # the bad row: its number (header = row 1), column, reason and order
    errors = response.context["errors"]
    assert [(e.row, e.column, e.reason, e.order_number) for e in errors] == [
        (5, "数量", "'多め' は整数ではありません", "B-2")
    ]
    assert '<td class="num">5</td><td>数量</td><td class="danger">&#x27;多め&#x27; は整数ではありません</td>' in html
    assert '<strong id="count-good" class="kpi">2</strong>' in html and '<span id="count-new">2</span>' in html
    assert "取り込む (2 件)" in html
    # nothing imported; the file waits on the server under the user's id, named by the server
    assert Order.objects.count() == 0
    kept = list((data_dir / "uploads").iterdir())
    assert len(kept) == 1 and kept[0].read_bytes() == cp932_file_with_one_bad_row()
    assert response.context["commit_form"].initial["token"] in kept[0].name


def test_commit_imports_the_good_orders_only_and_a_second_upload_imports_nothing_new(world, data_dir) -> None:
    client = client_for(Role.OPERATOR, "tanaka")
    data = cp932_file_with_one_bad_row()
    # when the previewed file is committed
    result = commit(client, preview(client, world["shop"], data))
    # then the two good orders are in with every line, the bad one not at all, and the kept file is gone
    assert result.status_code == 200
    html = page(result)
    assert '<td class="num" id="count-created">2</td>' in html
    assert '<td class="num danger" id="count-rejected">1</td>' in html
    assert sorted(Order.objects.values_list("mall_order_number", flat=True)) == ["A-1", "C-3"]
    assert OrderLine.objects.filter(order__mall_order_number="A-1").count() == 2
    assert list((data_dir / "uploads").iterdir()) == []

    # when the same file is uploaded again, the preview says both orders are already imported
    again = preview(client, world["shop"], data)
    assert '<span id="count-new">0</span>' in page(again) and '<span id="count-existing">2</span>' in page(again)
    second = commit(client, again)
    assert '<td class="num" id="count-created">0</td>' in page(second)
    assert '<td class="num" id="count-unchanged">2</td>' in page(second)
    assert "重複して登録したものはありません" in page(second)
    assert Order.objects.count() == 2 and OrderLine.objects.count() == 3


def test_a_committed_token_cannot_be_committed_twice_nor_by_another_user(world) -> None:
    owner, other = client_for(Role.OPERATOR, "owner"), client_for(Role.OPERATOR, "other")
    response = preview(owner, world["shop"], to_bytes([row("A-1")], "cp932"))
    # another operator holding the token finds no file
    stolen = commit(other, response)
    assert stolen.status_code == 302 and stolen.url == reverse("files-orders")
    assert Order.objects.count() == 0
    # a token naming a path is refused the same way
    forged = owner.post(reverse("files-orders-commit"), {"shop": world["shop"].pk, "token": "../../../etc/passwd"})
    assert forged.status_code == 302 and Order.objects.count() == 0
    # the owner commits once; the same form posted again imports nothing
    assert commit(owner, response).status_code == 200
    repeated = commit(owner, response)
    assert repeated.status_code == 302 and Order.objects.count() == 1


def test_a_file_that_cannot_be_read_says_why_and_offers_no_commit(world) -> None:
    client = client_for(Role.OPERATOR)
    response = preview(client, world["shop"], "受注番号,注文日時\r\nA-1,2026-11-26 10:00\r\n".encode("cp932"))
    html = page(response)
    assert "必須の列がありません" in html and 'id="commit-form"' not in html
    assert "取り込める受注がありません" in html


# -- catalogue CSVs ------------------------------------------------------------------------------------------


def test_an_admin_imports_products_and_sees_the_bad_row(world) -> None:
    client = client_for(Role.ADMIN)
    data = "SKUコード,商品名,価格\r\nNEW-1,新商品,500\r\nSKU-A,商品A改,\r\nNEW-2,,高い\r\n".encode("cp932")
    response = client.post(reverse("files-import", args=["products"]), {"file": upload("商品.csv", data)})
    html = page(response)
    assert '<td class="num" id="count-created">1</td>' in html and '<td class="num" id="count-updated">1</td>' in html
    assert '<td class="num">4</td><td>価格</td><td class="danger">&#x27;高い&#x27; は整数ではありません</td>' in html
    assert Product.objects.get(code="NEW-1").price == 500 and Product.objects.get(code="SKU-A").name == "商品A改"
    assert not Product.objects.filter(code="NEW-2").exists()


def test_exports_are_cp932_by_default_and_utf8_with_bom_on_request(world) -> None:
    client = client_for(Role.VIEWER)
    default = client.get(reverse("files-export", args=["mappings"]), {"shop": world["shop"].pk})
    assert default["Content-Type"] == "text/csv; charset=Shift_JIS"
    assert default["Content-Disposition"].startswith('attachment; filename="mappings_')
    lines = default.content.decode("cp932").split("\r\n")
    assert lines[0] == ",".join(MAPPING_COLUMNS)
    assert "0,demo,SKU-A,item-a,,0,0" in lines
    utf8 = client.get(reverse("files-export", args=["stock"]), {"encoding": "utf-8"})
    assert utf8["Content-Type"] == "text/csv; charset=utf-8"
    assert utf8.content.startswith(b"\xef\xbb\xbf")
    stock = utf8.content.decode("utf-8-sig").split("\r\n")
    assert stock[0] == ",".join(STOCK_EXPORT_COLUMNS) and "rsl,SKU-RARE,0,0,0" in stock


def test_the_shipment_export_needs_a_shop_and_an_unknown_kind_is_404(world) -> None:
    client = client_for(Role.VIEWER)
    assert client.get(reverse("files-shipments-export")).status_code == 400
    response = client.get(reverse("files-shipments-export"), {"shop": world["shop"].pk})
    assert (
        response.content.decode("cp932")
        == "受注番号,送付先番号,モール送付先ID,出荷日,配送会社コード,配送会社名,お問い合わせ番号\r\n"
    )
    assert client.get(reverse("files-export", args=["orders2"])).status_code == 404


# -- RSL CSV --------------------------------------------------------------------------------------------------


def test_rsl_requests_are_exported_once_kept_for_download_and_results_import_with_bad_rows(world, fakes, clock) -> None:
    # given two orders due for a warehouse that exchanges files
    Warehouse.objects.filter(pk=world["warehouse"].pk).update(connector="")
    mall, _warehouse = fakes
    mall.put(mall_order("F-1", clock.now), clock.now)
    mall.put(mall_order("F-2", clock.now), clock.now)
    run_all(clock.advance(seconds=1))
    run_all(clock.advance(minutes=31))
    client = client_for(Role.OPERATOR)
    # when the operator exports them
    response = client.post(reverse("files-rsl-export"), {"export-warehouse": world["warehouse"].pk})
    name = response.context["name"]
    assert "出荷依頼 2 件を書き出しました" in page(response)
    assert set(Order.objects.values_list("status", flat=True)) == {OrderStatus.SHIPPING.value}
    # then the file can be downloaded (and again later) from the RSL page
    download = client.get(reverse("files-rsl-download", args=[name]))
    text = download.content.decode("cp932")
    assert text.startswith("出荷依頼ID,受注番号") and "demo-F-1-1-1" in text and "demo-F-2-1-1" in text
    assert name in page(client.get(reverse("files-rsl")))
    assert client.get(reverse("files-rsl-download", args=["..%2Fjuchu.sqlite3"])).status_code == 404
    # and a second export finds nothing more to write
    again = client.post(reverse("files-rsl-export"), {"export-warehouse": world["warehouse"].pk})
    assert "書き出す出荷依頼はありませんでした" in page(again)

    # when RSL's result file comes back with one good and one bad row
    results = (
        "出荷依頼ID,状態,出荷日,配送会社コード,お問い合わせ番号,理由\r\n"
        "demo-F-1-1-1,出荷済,2026-11-26,1029,123456789012,\r\n"
        "demo-F-2-1-1,出荷済,,1029,,\r\n"
    ).encode("cp932")
    imported = client.post(
        reverse("files-rsl-import"),
        {"result-warehouse": world["warehouse"].pk, "result-file": upload("r.csv", results)},
    )
    html = page(imported)
    assert '<td class="num" id="count-shipped">1</td>' in html
    assert "3行目" in html and imported.context["errors"][0].startswith("3行目")
