"""Carrier slip CSVs (B2クラウド, e飛伝III, ゆうプリR) against their layout tables, and the tracking imports."""

from __future__ import annotations

import csv
import dataclasses
import io
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from juchu.csvio.text import RowError
from juchu.fulfillment.slips import (
    B2Account,
    Carrier,
    Cool,
    JapanPostAccount,
    SagawaAccount,
    Sender,
    Service,
    SlipError,
    SlipRequest,
    TimeSlot,
    japanpost,
    parse_time_slot,
    read_tracking,
    sagawa,
    write_b2,
    write_e_hiden,
    write_yupri,
    yamato,
)
from juchu.fulfillment.slips.text import flow, half_kana, phone_digits, postal_digits, width

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "slips"
SHIP = date(2024, 5, 1)
SENDER = Sender("ジュチュウ商店", "150-0001", "東京都渋谷区神宮前1-2-3", "03-1234-5678", "ジュチュウビル5F")
ACCOUNT = B2Account("031234567801", freight_number="01", class_code="001")


def _request(**changes: object) -> SlipRequest:
    base = SlipRequest(
        request_id="shop-100-20240501-1-1",
        order_number="100-20240501-0000001",
        recipient_name="山田 太郎",
        postal_code="〒100-0001",
        prefecture="東京都",
        city="千代田区",
        address1="千代田1-1",
        address2="皇居マンション101",
        recipient_kana="ヤマダ タロウ",
        phone="090-1234-5678",
        sender=SENDER,
        requested_date=date(2024, 5, 3),
        time_slot=TimeSlot.MORNING,
        item_names=("りんごジュース 1L",),
        key="J1",
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def _rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("cp932"), newline="")))


def _record(columns: tuple, data: bytes, index: int = 1) -> dict[str, str]:
    rows = _rows(data)
    assert len(rows[index]) == len(columns)
    return {c.header: value for c, value in zip(columns, rows[index], strict=True) if value}


# ---- layout tables -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("module", "count"), [(yamato, 95), (sagawa, 74), (japanpost, 118)])
def test_layout_tables_are_numbered_from_one_without_gaps(module, count):
    assert [c.number for c in module.COLUMNS] == list(range(1, count + 1))
    repeated = [h for h, n in Counter(c.header for c in module.COLUMNS).items() if n > 1]
    assert repeated in ([], ["予備"])


def test_b2_header_names_and_order_follow_the_basic_layout():
    headers = [c.header for c in yamato.COLUMNS]
    assert headers[:42] == [
        "お客様管理番号", "送り状種類", "クール区分", "伝票番号", "出荷予定日", "お届け予定日", "配達時間帯",
        "お届け先コード", "お届け先電話番号", "お届け先電話番号枝番", "お届け先郵便番号", "お届け先住所",
        "お届け先アパートマンション名", "お届け先会社・部門１", "お届け先会社・部門２", "お届け先名",
        "お届け先名(ｶﾅ)", "敬称", "ご依頼主コード", "ご依頼主電話番号", "ご依頼主電話番号枝番",
        "ご依頼主郵便番号", "ご依頼主住所", "ご依頼主アパートマンション", "ご依頼主名", "ご依頼主名(ｶﾅ)",
        "品名コード１", "品名１", "品名コード２", "品名２", "荷扱い１", "荷扱い２", "記事",
        "ｺﾚｸﾄ代金引換額（税込)", "内消費税額等", "止置き", "営業所コード", "発行枚数", "個数口表示フラグ",
        "請求先顧客コード", "請求先分類コード", "運賃管理番号",
    ]  # fmt: skip
    assert headers[-1] == "投函完了メール（ご依頼主宛）メールメッセージ"


def test_e_hiden_header_names_and_order_follow_the_74_column_template():
    headers = [c.header for c in sagawa.COLUMNS]
    assert headers[:11] == [
        "お届け先コード取得区分", "お届け先コード", "お届け先電話番号", "お届け先郵便番号", "お届け先住所１",
        "お届け先住所２", "お届け先住所３", "お届け先名称１", "お届け先名称２", "お客様管理番号", "お客様コード",
    ]  # fmt: skip
    assert headers[24:29] == ["品名１", "品名２", "品名３", "品名４", "品名５"]
    assert headers[41:49] == [
        "出荷個数", "スピード指定", "クール便指定", "配達日", "配達指定時間帯", "配達指定時間（時分）",
        "代引金額", "消費税",
    ]  # fmt: skip
    assert headers[57] == "元着区分" and headers[60:62] == ["出荷日", "お問い合せ送り状No."]
    assert headers[64:] == [
        f"編集{n}" for n in ("０１", "０２", "０３", "０４", "０５", "０６", "０７", "０８", "０９", "１０")
    ]


def test_yupri_header_keeps_the_reference_first_and_free_item_one_at_column_76():
    headers = [c.header for c in japanpost.COLUMNS]
    assert headers[:6] == ["お客様側管理番号", "発送予定日", "発送予定時間区分", "出荷期限日", "到着期限日", "郵便種別"]
    assert headers[75] == "フリー項目０１"
    assert headers[99:101] == ["代引金額", "代引消費税金額"]


# ---- B2クラウド --------------------------------------------------------------------------------------


def test_b2_row_for_a_typical_order_fills_every_mapped_column():
    file = write_b2([_request()], SHIP, ACCOUNT)

    assert file.written == ("shop-100-20240501-1-1",)
    assert file.errors == () and file.warnings == ()
    assert _record(yamato.COLUMNS, file.data) == {
        "お客様管理番号": "J1",
        "送り状種類": "0",
        "クール区分": "0",
        "出荷予定日": "2024/05/01",
        "お届け予定日": "2024/05/03",
        "配達時間帯": "0812",
        "お届け先電話番号": "09012345678",
        "お届け先郵便番号": "1000001",
        "お届け先住所": "東京都千代田区千代田1-1",
        "お届け先アパートマンション名": "皇居マンション101",
        "お届け先名": "山田 太郎",
        "お届け先名(ｶﾅ)": "ﾔﾏﾀﾞ ﾀﾛｳ",
        "敬称": "様",
        "ご依頼主電話番号": "0312345678",
        "ご依頼主郵便番号": "1500001",
        "ご依頼主住所": "東京都渋谷区神宮前1-2-3",
        "ご依頼主アパートマンション": "ジュチュウビル5F",
        "ご依頼主名": "ジュチュウ商店",
        "品名１": "りんごジュース 1L",
        "記事": "受注番号 100-20240501-0000001",
        "請求先顧客コード": "031234567801",
        "請求先分類コード": "001",
        "運賃管理番号": "01",
    }


def test_b2_file_is_cp932_with_crlf_and_a_header_row():
    data = write_b2([_request(), _request(request_id="r2", key="J2")], SHIP, ACCOUNT).data

    assert data.count(b"\r\n") == 3 and b"\n" not in data.replace(b"\r\n", b"")
    text = data.decode("cp932")
    assert text.startswith("お客様管理番号,送り状種類,クール区分,伝票番号,")
    assert _rows(write_b2([_request()], SHIP, ACCOUNT, header=False).data)[0][0] == "J1"


def test_b2_cod_order_is_collect_with_amount_and_included_tax():
    record = _record(yamato.COLUMNS, write_b2([_request(cod_amount=5500)], SHIP, ACCOUNT).data)

    assert (record["送り状種類"], record["ｺﾚｸﾄ代金引換額（税込)"], record["内消費税額等"]) == ("2", "5500", "500")


@pytest.mark.parametrize(
    ("service", "cod", "cool", "code", "cool_code"),
    [
        (Service.PARCEL, 0, Cool.FROZEN, "0", "1"),
        (Service.PARCEL, 0, Cool.CHILLED, "0", "2"),
        (Service.COMPACT, 0, Cool.NONE, "8", "0"),
        (Service.COMPACT, 3000, Cool.NONE, "9", "0"),
    ],
)
def test_b2_slip_type_and_cool_codes(service, cod, cool, code, cool_code):
    request = _request(service=service, cod_amount=cod, cool=cool)
    record = _record(yamato.COLUMNS, write_b2([request], SHIP, ACCOUNT).data)

    assert (record["送り状種類"], record["クール区分"]) == (code, cool_code)


def test_b2_mail_uses_the_accounts_mail_code_and_refuses_cod():
    ok = _request(service=Service.MAIL, time_slot=None)
    cod = _request(request_id="r2", service=Service.MAIL, time_slot=None, cod_amount=1000)

    file = write_b2([ok, cod], SHIP, dataclasses.replace(ACCOUNT, mail_code="A"))

    assert _record(yamato.COLUMNS, file.data)["送り状種類"] == "A"
    assert file.written == ("shop-100-20240501-1-1",)
    assert file.errors == (SlipError("r2", "ｺﾚｸﾄ代金引換額（税込)", "メール便では代引きを使えません"),)


@pytest.mark.parametrize(
    ("slot", "code"),
    [
        (TimeSlot.MORNING, "0812"),
        (TimeSlot.H14_16, "1416"),
        (TimeSlot.H16_18, "1618"),
        (TimeSlot.H18_20, "1820"),
        (TimeSlot.H19_21, "1921"),
    ],
)
def test_b2_time_slot_codes(slot, code):
    assert _record(yamato.COLUMNS, write_b2([_request(time_slot=slot)], SHIP, ACCOUNT).data)["配達時間帯"] == code


def test_b2_refuses_a_withdrawn_time_slot_naming_the_request_and_column():
    file = write_b2([_request(time_slot=TimeSlot.H12_14)], SHIP, ACCOUNT)

    assert file.written == ()
    assert file.errors == (SlipError("shop-100-20240501-1-1", "配達時間帯", "ヤマトでは 12時〜14時 を指定できません"),)
    assert len(_rows(file.data)) == 1


def test_b2_missing_postal_code_refuses_that_row_and_keeps_the_others():
    bad = _request(request_id="bad", key="J9", postal_code="")

    file = write_b2([_request(), bad, _request(request_id="r3", key="J3")], SHIP, ACCOUNT)

    assert file.written == ("shop-100-20240501-1-1", "r3")
    assert file.errors == (SlipError("bad", "お届け先郵便番号", "郵便番号がありません"),)
    assert [row[0] for row in _rows(file.data)[1:]] == ["J1", "J3"]


def test_b2_long_address_flows_into_the_building_column():
    request = _request(address1="大手町一丁目二番三号大手町フィナンシャルシティグラン", address2="キューブ１２階")

    record = _record(yamato.COLUMNS, write_b2([request], SHIP, ACCOUNT).data)

    assert record["お届け先住所"] == "東京都千代田区大手町一丁目二番三号大手町フィナンシャルシティグラ"
    assert record["お届け先アパートマンション名"] == "ン キューブ１２階"


def test_b2_address_too_long_for_both_columns_is_refused():
    file = write_b2([_request(address1="あ" * 40, address2="い" * 20)], SHIP, ACCOUNT)

    assert file.errors == (
        SlipError(
            "shop-100-20240501-1-1", "お届け先住所", "住所が長すぎます (住所・建物名の2欄 全角48文字に収まりません)"
        ),
    )


def test_b2_too_long_name_is_refused_but_a_long_item_name_is_cut_with_a_warning():
    long_name = write_b2([_request(recipient_name="山" * 17)], SHIP, ACCOUNT)
    long_item = write_b2([_request(item_names=("商" * 30,))], SHIP, ACCOUNT)

    assert long_name.errors == (
        SlipError("shop-100-20240501-1-1", "お届け先名", "長すぎます (34 バイト、上限 32 バイト = 全角 16 文字)"),
    )
    assert _record(yamato.COLUMNS, long_item.data)["品名１"] == "商" * 25
    assert long_item.warnings == (
        SlipError("shop-100-20240501-1-1", "品名１", "長すぎるため 50 バイトに切り詰めました"),
    )


def test_b2_kana_that_is_not_kana_is_left_blank_with_a_warning():
    file = write_b2([_request(recipient_kana="山田")], SHIP, ACCOUNT)

    assert "お届け先名(ｶﾅ)" not in _record(yamato.COLUMNS, file.data)
    assert file.warnings == (
        SlipError("shop-100-20240501-1-1", "お届け先名(ｶﾅ)", "カナ以外の文字 '山田' が含まれています: 空欄にしました"),
    )


def test_b2_character_cp932_lacks_becomes_geta_with_a_warning():
    file = write_b2([_request(recipient_name="𠮷田 花子")], SHIP, ACCOUNT)

    assert _record(yamato.COLUMNS, file.data)["お届け先名"] == "〓田 花子"
    assert file.warnings == (
        SlipError(
            "shop-100-20240501-1-1", "お届け先名", "CP932 にない文字 '𠮷' を 〓 にしました (発行前に直してください)"
        ),
    )


def test_b2_several_packages_print_numbered_slips_for_prepaid_only():
    prepaid = _record(yamato.COLUMNS, write_b2([_request(package_count=3)], SHIP, ACCOUNT).data)
    collect = write_b2([_request(package_count=2, cod_amount=1000)], SHIP, ACCOUNT)

    assert (prepaid["発行枚数"], prepaid["個数口表示フラグ"]) == ("3", "3")
    assert collect.errors == (
        SlipError("shop-100-20240501-1-1", "発行枚数", "複数口 (個数口) は発払いでのみ指定できます"),
    )


def test_the_reference_is_the_request_id_when_no_key_is_given():
    record = _record(yamato.COLUMNS, write_b2([_request(key="")], SHIP, ACCOUNT).data)

    assert record["お客様管理番号"] == "shop-100-20240501-1-1"


# ---- e飛伝III -----------------------------------------------------------------------------------------


def test_e_hiden_row_for_a_typical_order_is_full_width_and_coded():
    request = _request(cod_amount=5500, item_names=("りんごジュース 1L", "みかん"), cool=Cool.CHILLED)

    file = write_e_hiden([request], SHIP, SagawaAccount("123456789012"))

    assert file.errors == () and file.warnings == ()
    assert _record(sagawa.COLUMNS, file.data) == {
        "お届け先電話番号": "09012345678",
        "お届け先郵便番号": "1000001",
        "お届け先住所１": "東京都千代田区",
        "お届け先住所２": "千代田１－１",
        "お届け先住所３": "皇居マンション１０１",
        "お届け先名称１": "山田　太郎",
        "お客様管理番号": "J1",
        "お客様コード": "123456789012",
        "ご依頼主電話番号": "0312345678",
        "ご依頼主郵便番号": "1500001",
        "ご依頼主住所１": "東京都渋谷区神宮前１－２－３",
        "ご依頼主住所２": "ジュチュウビル５Ｆ",
        "ご依頼主名称１": "ジュチュウ商店",
        "品名１": "りんごジュース　１Ｌ",
        "品名２": "みかん",
        "出荷個数": "1",
        "スピード指定": "000",
        "クール便指定": "002",
        "配達日": "20240503",
        "配達指定時間帯": "01",
        "代引金額": "5500",
        "消費税": "500",
        "元着区分": "1",
        "出荷日": "20240501",
    }


@pytest.mark.parametrize(
    ("slot", "code"),
    [
        (TimeSlot.MORNING, "01"),
        (TimeSlot.H12_14, "12"),
        (TimeSlot.H14_16, "14"),
        (TimeSlot.H16_18, "16"),
        (TimeSlot.H18_20, "18"),
        (TimeSlot.H18_21, "04"),
        (TimeSlot.H19_21, "19"),
    ],
)
def test_e_hiden_time_slot_codes(slot, code):
    record = _record(sagawa.COLUMNS, write_e_hiden([_request(time_slot=slot)], SHIP).data)

    assert record["配達指定時間帯"] == code


def test_e_hiden_splits_a_long_name_and_address_over_its_lines():
    request = _request(
        recipient_name="株式会社ジュチュウ・ロジスティクス・ジャパン 山田 太郎",
        city="千代田区大手町一丁目",
        address1="二番三号大手町フィナンシャルシティ",
        address2="グランキューブ１２階",
    )

    record = _record(sagawa.COLUMNS, write_e_hiden([request], SHIP).data)

    assert record["お届け先名称１"] == "株式会社ジュチュウ・ロジスティク"
    assert record["お届け先名称２"] == "ス・ジャパン　山田　太郎"
    lines = [record.get(f"お届け先住所{n}", "") for n in ("１", "２", "３")]
    assert all(width(line) <= 32 for line in lines)
    assert (
        "".join(lines).replace("\u3000", "")
        == "東京都千代田区大手町一丁目二番三号大手町フィナンシャルシティグランキューブ１２階"
    )


def test_e_hiden_refuses_mail_service_and_the_20_21_slot():
    file = write_e_hiden(
        [_request(service=Service.MAIL, time_slot=None), _request(request_id="r2", time_slot=TimeSlot.H20_21)], SHIP
    )

    assert file.written == ()
    assert file.errors == (
        SlipError("shop-100-20240501-1-1", "スピード指定", "佐川ではメール便を扱いません (飛脚宅配便のみ)"),
        SlipError("r2", "配達指定時間帯", "佐川では 20時〜21時 を指定できません"),
    )


def test_e_hiden_reference_longer_than_16_is_refused():
    file = write_e_hiden([_request(key="")], SHIP)

    assert file.errors == (
        SlipError("shop-100-20240501-1-1", "お客様管理番号", "長すぎます (21 バイト、上限 16 バイト = 全角 8 文字)"),
    )


# ---- ゆうプリR ----------------------------------------------------------------------------------------


def test_yupri_row_for_a_typical_order():
    file = write_yupri([_request(cod_amount=5500, package_count=2)], SHIP, JapanPostAccount("1100780"))

    assert file.errors == () and file.warnings == ()
    assert _record(japanpost.COLUMNS, file.data) == {
        "お客様側管理番号": "J1",
        "発送予定日": "20240501",
        "郵便種別": "0",
        "保冷種別": "0",
        "元／着払／代引": "2",
        "送り状種別": "1100780",
        "お届け先 郵便番号": "1000001",
        "お届け先 住所１": "東京都千代田区",
        "お届け先 住所２": "千代田1-1",
        "お届け先 住所３": "皇居マンション101",
        "お届け先 名称１": "山田 太郎",
        "お届け先 敬称区分": "0",
        "お届け先 電話番号": "09012345678",
        "ご依頼主 郵便番号": "1500001",
        "ご依頼主 住所１": "東京都渋谷区神宮前1-2-3",
        "ご依頼主 住所２": "ジュチュウビル5F",
        "ご依頼主 名称１": "ジュチュウ商店",
        "ご依頼主 電話番号": "0312345678",
        "受注番号": "100-20240501-0000001",
        "配達指定日／希望日": "20240503",
        "配達時間帯区分": "51",
        "複数個口数": "2",
        "記事名１": "りんごジュース 1L",
        "代引金額": "5500",
        "代引消費税金額": "500",
        "品名": "りんごジュース 1L",
    }


def test_yupri_packet_needs_no_phone_and_refuses_cod():
    packet = _request(service=Service.MAIL, time_slot=None, phone="")
    cod = _request(request_id="r2", service=Service.MAIL, time_slot=None, cod_amount=100)

    file = write_yupri([packet, cod], SHIP)

    assert _record(japanpost.COLUMNS, file.data)["郵便種別"] == "9"
    assert "お届け先 電話番号" not in _record(japanpost.COLUMNS, file.data)
    assert file.errors == (SlipError("r2", "元／着払／代引", "ゆうパケットでは代引きを使えません"),)


def test_yupri_parcel_without_phone_is_refused():
    file = write_yupri([_request(phone="")], SHIP)

    assert file.errors == (SlipError("shop-100-20240501-1-1", "お届け先 電話番号", "電話番号がありません"),)


# ---- normalisation -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "digits"),
    [("090-1234-5678", "09012345678"), ("+81 90 1234 5678", "09012345678"), ("（03）1234－5678", "0312345678")],
)
def test_phone_numbers_become_digits_only(given, digits):
    assert phone_digits(given) == digits


@pytest.mark.parametrize("given", ["1234", "090-1234-56789", "abc"])
def test_phone_numbers_that_are_not_japanese_numbers_are_refused(given):
    with pytest.raises(ValueError):
        phone_digits(given)


def test_postal_codes_become_seven_digits():
    assert postal_digits("〒１００－０００１") == postal_digits("100-0001") == "1000001"
    with pytest.raises(ValueError, match="7桁ではありません"):
        postal_digits("100-001")


def test_kana_becomes_half_width_katakana():
    assert half_kana("やまだ　たろう") == "ﾔﾏﾀﾞ ﾀﾛｳ"
    assert half_kana("ガッコウ　ＡＢＣ") == "ｶﾞｯｺｳ ABC"


def test_flow_keeps_each_part_on_its_line_when_it_fits_and_refuses_what_cannot_fit():
    assert flow(["東京都千代田区", "丸の内1-1"], [32, 32]) == ["東京都千代田区", "丸の内1-1"]
    assert flow(["あ" * 20], [32, 32]) == ["あ" * 16, "あ" * 4]
    assert flow(["あ" * 40], [32, 32]) is None


@pytest.mark.parametrize(
    ("text", "slot"),
    [
        ("午前中", TimeSlot.MORNING),
        ("14:00-16:00", TimeSlot.H14_16),
        ("１６時～１８時", TimeSlot.H16_18),
        ("1921", TimeSlot.H19_21),
        ("", None),
        ("指定なし", None),
    ],
)
def test_mall_time_text_is_read_as_a_slot(text, slot):
    assert parse_time_slot(text) == slot


def test_unknown_time_text_is_an_error_not_a_dropped_wish():
    with pytest.raises(ValueError, match="読めません"):
        parse_time_slot("夕方")


# ---- tracking imports --------------------------------------------------------------------------------


def _rows_of(result):
    return [(r.row, r.reference, r.tracking_number, r.shipped_on, r.carrier_code) for r in result.rows]


def test_b2_issued_data_with_header_and_bom_gives_good_rows_and_reports_bad_ones():
    result = read_tracking(Carrier.YAMATO, (FIXTURES / "b2_issued_utf8bom.csv").read_bytes(), date(2024, 5, 9))

    assert _rows_of(result) == [
        (2, "J1", "444413758703", date(2024, 5, 1), "1001"),
        (3, "J2", "444413758714", date(2024, 5, 1), "1001"),
    ]
    assert result.errors == [
        RowError(5, "伝票番号", "空です (まだ発行されていません)", "J3"),
        RowError(
            6, "伝票番号", "'4.44414E+11' は Excel が指数表記に変えた番号です (元のファイルを取り込んでください)", "J4"
        ),
        RowError(7, "伝票番号", "'12345' は 12 桁の番号ではありません", "J5"),
        RowError(8, "出荷予定日", "'2024/05/32' は日付 (YYYY/MM/DD) ではありません", "J6"),
        RowError(9, "お客様管理番号", "空です (どの出荷依頼か分かりません)"),
    ]
    assert result.warnings == [RowError(8, "伝票番号", "'444413758704' のチェックディジットが合いません", "J6")]


def test_b2_issued_data_without_header_in_cp932_is_read_by_position():
    result = read_tracking(Carrier.YAMATO, (FIXTURES / "b2_issued_noheader_cp932.csv").read_bytes(), date(2024, 5, 9))

    assert _rows_of(result) == [
        (1, "J1", "444413758703", date(2024, 5, 2), "1001"),
        (2, "J7", "444413758714", date(2024, 5, 2), "1001"),
    ]
    assert result.errors == []


def test_e_hiden_shipped_data_is_read_by_header_in_cp932():
    result = read_tracking(Carrier.SAGAWA, (FIXTURES / "ehiden_shipped_cp932.csv").read_bytes(), date(2024, 5, 9))

    assert _rows_of(result) == [
        (2, "S1", "512547514334", date(2024, 5, 1), "1002"),
        (3, "S2", "512547514345", date(2024, 5, 2), "1002"),
    ]
    assert result.errors == [RowError(4, "お問い合せ送り状No.", "'ABC' は 12 桁の番号ではありません", "S3")]


def test_yupri_history_uses_the_default_ship_date_when_the_file_has_none():
    result = read_tracking(Carrier.JAPAN_POST, (FIXTURES / "yupri_history_cp932.csv").read_bytes(), date(2024, 5, 9))

    assert _rows_of(result) == [
        (2, "P1", "405548424886", date(2024, 5, 9), "1003"),
        (3, "P2", "193715301010", date(2024, 5, 3), "1003"),
    ]
    assert result.errors == [RowError(4, "お問い合わせ番号", "空です (まだ発行されていません)", "P3")]


def test_the_same_tracking_file_reads_the_same_in_utf8_and_cp932():
    text = (FIXTURES / "ehiden_shipped_cp932.csv").read_bytes().decode("cp932")

    as_utf8 = read_tracking(Carrier.SAGAWA, text.encode("utf-8"), date(2024, 5, 9))
    as_cp932 = read_tracking(Carrier.SAGAWA, text.encode("cp932"), date(2024, 5, 9))

    assert _rows_of(as_utf8) == _rows_of(as_cp932) and len(as_utf8.rows) == 2


def test_a_yupri_file_without_its_header_is_rejected_whole():
    result = read_tracking(Carrier.JAPAN_POST, "P1,405548424886\r\n".encode("cp932"), date(2024, 5, 9))

    assert result.rows == []
    assert result.errors == [RowError(1, "お客様側管理番号", "見出し行に お客様側管理番号 の列がありません")]


def test_an_empty_tracking_file_is_rejected():
    result = read_tracking(Carrier.YAMATO, b"", date(2024, 5, 9))

    assert result.errors == [RowError(1, "", "空のファイルです")]
