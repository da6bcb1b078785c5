"""The RSL CSV exchange: request CSV out (CP932, CRLF), result CSV in with bad rows reported, good rows kept."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from juchu.connectors.base import ParcelData, RequestLine, ResultStatus, ShipmentRequestData, ShipmentResult
from juchu.connectors.warehouses.rsl.csv_exchange import REQUEST_COLUMNS, requests_to_csv, results_from_csv
from juchu.connectors.warehouses.rsl.mapping import MappingError
from juchu.domain.model import Address


def request_data(request_id: str = "R-1", **changes) -> ShipmentRequestData:
    fields = dict(
        request_id=request_id,
        mall_order_number="123456-20240501-0000000001",
        shop_code="shop-a",
        delivery_method="YUPACK",
        recipient_name="髙橋 花子",
        address=Address("100-0001", "東京都", "千代田区", "千代田1-1", "①ビル"),
        lines=(RequestLine("SKU-A", 2, 1500), RequestLine("SKU-B", 1, 800)),
        phone="03-1234-5678",
        requested_date=date(2024, 5, 3),
        delivery_time="14",
        goods_amount=3800,
        postage=600,
        cod_amount=0,
        gift=False,
        note="置き配\r\n玄関前",
    )
    fields.update(changes)
    return ShipmentRequestData(**fields)


def test_request_csv_is_cp932_crlf_one_row_per_line_with_japanese_headers():
    data = requests_to_csv([request_data()])
    text = data.decode("cp932")
    assert text.count("\r\n") == 3 and "\n" not in text.replace("\r\n", "")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[0] == list(REQUEST_COLUMNS)
    assert rows[0][:3] == ["出荷依頼ID", "受注番号", "店舗コード"]
    common = ["R-1", "123456-20240501-0000000001", "shop-a", "YUPACK", "2024-05-03", "14", "髙橋 花子", "1000001"]
    address = ["東京都", "千代田区", "千代田1-1", "①ビル", "03-1234-5678"]
    assert rows[1] == [*common, *address, "SKU-A", "2", "1500", "3800", "600", "0", "0", "置き配 玄関前"]
    assert rows[2] == [*common, *address, "SKU-B", "1", "800", "3800", "600", "0", "0", "置き配 玄関前"]


def test_a_character_cp932_cannot_hold_is_named_with_request_and_column():
    with pytest.raises(MappingError) as caught:
        requests_to_csv([request_data(address=Address("1000001", "東京都", "千代田区", "🏠1-1"))])
    assert (caught.value.key, caught.value.field) == ("R-1", "住所1")


def test_a_request_with_a_bad_postal_code_is_not_written():
    with pytest.raises(MappingError) as caught:
        requests_to_csv([request_data(address=Address("12-34", "東京都"))])
    assert caught.value.field == "recipient.postalCode"


RESULT_CSV = (
    "出荷依頼ID,状態,出荷日,配送会社コード,お問い合わせ番号,理由\r\n"
    "R-1,出荷済,2024-05-01,1029,123456789012,\r\n"
    "R-2,出荷済,2024/05/02,,123456789013 123456789014,\r\n"
    "R-3,出荷不可,,,,住所不備のため出荷できません\r\n"
    "R-4,出荷済,,1029,123456789015,\r\n"
    "R-5,出荷中,2024-05-01,1029,123456789016,\r\n"
    ",出荷済,2024-05-01,1029,123456789017,\r\n"
    "R-6,出荷済,2024-05-01,1029,,\r\n"
    "\r\n"
    "R-1,出荷済,2024-05-01,1029,123456789018,\r\n"
)
EXPECTED = [
    ShipmentResult(
        "R-1",
        ResultStatus.SHIPPED,
        shipped_on=date(2024, 5, 1),
        carrier_code="1029",
        parcels=(ParcelData("123456789012"), ParcelData("123456789018")),
    ),
    ShipmentResult(
        "R-2",
        ResultStatus.SHIPPED,
        shipped_on=date(2024, 5, 2),
        carrier_code="1029",
        parcels=(ParcelData("123456789013"), ParcelData("123456789014")),
    ),
    ShipmentResult("R-3", ResultStatus.UNSHIPPABLE, reason="住所不備のため出荷できません"),
]
EXPECTED_ERRORS = [
    "5行目 出荷日: '' は日付 (YYYY-MM-DD) ではありません",
    "6行目 状態: '出荷中' は 出荷済 か 出荷不可 にしてください",
    "7行目 出荷依頼ID: 空です",
    "8行目 お問い合わせ番号: 出荷済の行にお問い合わせ番号がありません",
]


@pytest.mark.parametrize(
    "encode",
    [
        lambda text: text.encode("cp932"),
        lambda text: text.encode("utf-8"),
        lambda text: text.encode("utf-8-sig"),
    ],
    ids=["cp932", "utf-8", "utf-8-bom"],
)
def test_result_csv_keeps_good_rows_and_reports_each_bad_row(encode):
    results, errors = results_from_csv(encode(RESULT_CSV))
    assert results == EXPECTED
    assert errors == EXPECTED_ERRORS


def test_result_csv_columns_may_come_in_any_order():
    text = "理由,お問い合わせ番号,出荷日,状態,出荷依頼ID\r\n,999,2024-05-01,出荷済,R-9\r\n"
    results, errors = results_from_csv(text.encode("cp932"))
    assert errors == []
    assert results == [
        ShipmentResult(
            "R-9", ResultStatus.SHIPPED, shipped_on=date(2024, 5, 1), carrier_code="1029", parcels=(ParcelData("999"),)
        )
    ]


def test_a_result_csv_without_required_columns_is_one_clear_error():
    assert results_from_csv("出荷依頼ID,出荷日\r\nR-1,2024-05-01\r\n".encode("cp932")) == (
        [],
        ["1行目: 列 状態 がありません"],
    )


def test_a_file_in_neither_encoding_is_reported_not_raised():
    results, errors = results_from_csv(b"R-1,\x82")
    assert results == []
    assert errors == ["ファイルの文字コードを読めません（CP932 か UTF-8 で保存してください）"]


def test_csv_round_trip_in_cp932_request_ids_come_back_with_results():
    # given the request CSV Juchu wrote, and a warehouse answering each request by its 出荷依頼ID
    sent = requests_to_csv([request_data("R-1"), request_data("R-2", lines=(RequestLine("SKU-C", 3, 100),))])
    rows = list(csv.DictReader(io.StringIO(sent.decode("cp932"), newline="")))
    ids = list(dict.fromkeys(row["出荷依頼ID"] for row in rows))
    answer = "出荷依頼ID,状態,出荷日,配送会社コード,お問い合わせ番号,理由\r\n" + "".join(
        f"{rid},出荷済,2024-05-01,1029,T-{rid},\r\n" for rid in ids
    )
    # when the result CSV is read back
    results, errors = results_from_csv(answer.encode("cp932"))
    # then every request has its result
    assert errors == []
    assert [(r.request_id, r.parcels[0].tracking_number) for r in results] == [("R-1", "T-R-1"), ("R-2", "T-R-2")]
