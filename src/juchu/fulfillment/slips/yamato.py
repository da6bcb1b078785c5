"""ヤマト運輸 B2クラウド: the 外部データ取込 基本レイアウト (95 columns, fixed order) and its codes.

Sources and the choices made where they are silent or disagree are in docs/carrier-slips.md. Widths are
CP932 bytes (全角16文字 = 32). The file has a header row: register the import pattern with 取込開始行 2.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from juchu.fulfillment.slips.layout import Column, Kind, Overflow, RowRefused, parsed, write
from juchu.fulfillment.slips.model import Cool, Service, SlipFile, SlipRequest, TimeSlot
from juchu.fulfillment.slips.text import flow, phone_digits, postal_digits

#: Rakuten 配送会社コード of Yamato.
CARRIER_CODE = "1001"

T, D, A, K, DT, C = Kind.TEXT, Kind.DIGITS, Kind.ALNUM, Kind.KANA, Kind.DATE, Kind.CODE
CUT = Overflow.TRUNCATE

COLUMNS: tuple[Column, ...] = (
    Column(1, "お客様管理番号", "SlipRequest.reference (出荷依頼ID)", A, 50, True),
    Column(2, "送り状種類", "service + COD → 0/2/8/9, メール便 → B2Account.mail_code", C, 1, True),
    Column(3, "クール区分", "cool → 0 通常 / 1 冷凍 / 2 冷蔵", C, 1),
    Column(4, "伝票番号", "blank: B2クラウド assigns it", D, 12),
    Column(5, "出荷予定日", "the file's ship date, YYYY/MM/DD", DT, 10, True),
    Column(6, "お届け予定日", "requested_date, YYYY/MM/DD", DT, 10),
    Column(7, "配達時間帯", "time_slot → 0812/1416/1618/1820/1921", C, 4),
    Column(8, "お届け先コード", "blank", A, 20),
    Column(9, "お届け先電話番号", "phone, digits only", D, 15, True),
    Column(10, "お届け先電話番号枝番", "blank", D, 2),
    Column(11, "お届け先郵便番号", "postal_code, 7 digits", D, 8, True),
    Column(12, "お届け先住所", "prefecture + city + address1 (overflow → 13)", T, 64, True),
    Column(13, "お届け先アパートマンション名", "address2", T, 32),
    Column(14, "お届け先会社・部門１", "blank", T, 50),
    Column(15, "お届け先会社・部門２", "blank", T, 50),
    Column(16, "お届け先名", "recipient_name", T, 32, True),
    Column(17, "お届け先名(ｶﾅ)", "recipient_kana → half-width katakana (dropped with a warning if not kana)", K, 50),
    Column(18, "敬称", "様", T, 4),
    Column(19, "ご依頼主コード", "blank", A, 20),
    Column(20, "ご依頼主電話番号", "sender.phone, digits only", D, 15, True),
    Column(21, "ご依頼主電話番号枝番", "blank", D, 2),
    Column(22, "ご依頼主郵便番号", "sender.postal_code, 7 digits", D, 8, True),
    Column(23, "ご依頼主住所", "sender.address", T, 64, True),
    Column(24, "ご依頼主アパートマンション", "sender.address2", T, 32),
    Column(25, "ご依頼主名", "sender.name", T, 32, True),
    Column(26, "ご依頼主名(ｶﾅ)", "blank", K, 50),
    Column(27, "品名コード１", "blank", A, 30),
    Column(28, "品名１", "item_names[0] (cut to fit)", T, 50, True, CUT),
    Column(29, "品名コード２", "blank", A, 30),
    Column(30, "品名２", "item_names[1], with 他N点 when there are more (cut to fit)", T, 50, False, CUT),
    Column(31, "荷扱い１", "blank", T, 20),
    Column(32, "荷扱い２", "blank", T, 20),
    Column(33, "記事", "受注番号 order_number (cut to fit)", T, 44, False, CUT),
    Column(34, "ｺﾚｸﾄ代金引換額（税込)", "cod_amount (コレクト only, 1〜300,000; compact 〜30,000)", D, 7),
    Column(35, "内消費税額等", "the 10% share of cod_amount, rounded down", D, 7),
    Column(36, "止置き", "blank", C, 1),
    Column(37, "営業所コード", "blank", D, 6),
    Column(38, "発行枚数", "package_count when > 1 (発払い only)", D, 2),
    Column(39, "個数口表示フラグ", "3 (枠と口数を印字) when package_count > 1", C, 1),
    Column(40, "請求先顧客コード", "B2Account.customer_code", D, 12, True),
    Column(41, "請求先分類コード", "B2Account.class_code", D, 3),
    Column(42, "運賃管理番号", "B2Account.freight_number", D, 2, True),
    Column(43, "クロネコwebコレクトデータ登録"),
    Column(44, "クロネコwebコレクト加盟店番号"),
    Column(45, "クロネコwebコレクト申込受付番号１"),
    Column(46, "クロネコwebコレクト申込受付番号２"),
    Column(47, "クロネコwebコレクト申込受付番号３"),
    Column(48, "お届け予定ｅメール利用区分"),
    Column(49, "お届け予定ｅメールe-mailアドレス"),
    Column(50, "入力機種"),
    Column(51, "お届け予定ｅメールメッセージ"),
    Column(52, "お届け完了ｅメール利用区分"),
    Column(53, "お届け完了ｅメールe-mailアドレス"),
    Column(54, "お届け完了ｅメールメッセージ"),
    Column(55, "クロネコ収納代行利用区分"),
    Column(56, "予備"),
    Column(57, "収納代行請求金額(税込)"),
    Column(58, "収納代行内消費税額等"),
    Column(59, "収納代行請求先郵便番号"),
    Column(60, "収納代行請求先住所"),
    Column(61, "収納代行請求先住所（アパートマンション名）"),
    Column(62, "収納代行請求先会社・部門名１"),
    Column(63, "収納代行請求先会社・部門名２"),
    Column(64, "収納代行請求先名(漢字)"),
    Column(65, "収納代行請求先名(カナ)"),
    Column(66, "収納代行問合せ先名(漢字)"),
    Column(67, "収納代行問合せ先郵便番号"),
    Column(68, "収納代行問合せ先住所"),
    Column(69, "収納代行問合せ先住所（アパートマンション名）"),
    Column(70, "収納代行問合せ先電話番号"),
    Column(71, "収納代行管理番号"),
    Column(72, "収納代行品名"),
    Column(73, "収納代行備考"),
    Column(74, "複数口くくりキー"),
    Column(75, "検索キータイトル1"),
    Column(76, "検索キー1"),
    Column(77, "検索キータイトル2"),
    Column(78, "検索キー2"),
    Column(79, "検索キータイトル3"),
    Column(80, "検索キー3"),
    Column(81, "検索キータイトル4"),
    Column(82, "検索キー4"),
    Column(83, "検索キータイトル5"),
    Column(84, "検索キー5"),
    Column(85, "予備"),
    Column(86, "予備"),
    Column(87, "投函予定メール利用区分"),
    Column(88, "投函予定メールe-mailアドレス"),
    Column(89, "投函予定メールメッセージ"),
    Column(90, "投函完了メール（お届け先宛）利用区分"),
    Column(91, "投函完了メール（お届け先宛）e-mailアドレス"),
    Column(92, "投函完了メール（お届け先宛）メールメッセージ"),
    Column(93, "投函完了メール（ご依頼主宛）利用区分"),
    Column(94, "投函完了メール（ご依頼主宛）e-mailアドレス"),
    Column(95, "投函完了メール（ご依頼主宛）メールメッセージ"),
)

#: 送り状種類 by service, without and with COD (コレクト).
SLIP_TYPES = {Service.PARCEL: ("0", "2"), Service.COMPACT: ("8", "9")}
COOL_CODES = {Cool.NONE: "0", Cool.FROZEN: "1", Cool.CHILLED: "2"}
#: The slots B2クラウド accepts today (12〜14時 and 20〜21時 were withdrawn).
TIME_CODES = {
    s: s.value for s in (TimeSlot.MORNING, TimeSlot.H14_16, TimeSlot.H16_18, TimeSlot.H18_20, TimeSlot.H19_21)
}
COD_LIMITS = {Service.PARCEL: 300_000, Service.COMPACT: 30_000}


@dataclass(frozen=True, slots=True)
class B2Account:
    """The shop's B2クラウド contract: who is billed (請求先) and which freight table (運賃管理番号) applies."""

    customer_code: str
    freight_number: str = "01"
    class_code: str = ""
    #: 送り状種類 for メール便: 7 ネコポス (the default), A クロネコゆうパケット, 3 クロネコゆうメール / DM便.
    mail_code: str = "7"


def cod_tax(amount: int) -> int:
    """The consumption tax inside a tax-included amount at 10%, rounded down (内消費税額等)."""
    return amount * 10 // 110


def _row(request: SlipRequest, ship_date: date, account: B2Account) -> dict[str, str]:
    service, cod = request.service, request.cod_amount
    if service is Service.MAIL:
        for given, column, what in (
            (cod, "ｺﾚｸﾄ代金引換額（税込)", "代引き"),
            (request.cool is not Cool.NONE, "クール区分", "クール便"),
            (request.time_slot, "配達時間帯", "時間帯指定"),
        ):
            if given:
                raise RowRefused(column, f"メール便では{what}を使えません")
        slip_type = account.mail_code
    else:
        if cod > COD_LIMITS[service]:
            raise RowRefused("ｺﾚｸﾄ代金引換額（税込)", f"{cod:,} 円は上限 {COD_LIMITS[service]:,} 円を超えます")
        slip_type = SLIP_TYPES[service][1 if cod else 0]
        if service is Service.COMPACT and request.cool is not Cool.NONE:
            raise RowRefused("クール区分", "宅急便コンパクトはクール便にできません")
    if request.package_count > 1 and slip_type != "0":
        raise RowRefused("発行枚数", "複数口 (個数口) は発払いでのみ指定できます")
    slot = ""
    if request.time_slot is not None:
        if request.time_slot not in TIME_CODES:
            raise RowRefused("配達時間帯", f"ヤマトでは {request.time_slot.label_ja} を指定できません")
        slot = TIME_CODES[request.time_slot]
    main = f"{request.prefecture}{request.city}{request.address1}"
    lines = flow([main, request.address2], [64, 32])
    if lines is None:
        raise RowRefused("お届け先住所", "住所が長すぎます (住所・建物名の2欄 全角48文字に収まりません)")
    names = request.item_names
    second = names[1] if len(names) > 1 else ""
    if len(names) > 2:
        second = f"{second} 他{len(names) - 2}点"
    many = request.package_count > 1
    return {
        "お客様管理番号": request.reference,
        "送り状種類": slip_type,
        "クール区分": COOL_CODES[request.cool],
        "出荷予定日": ship_date.strftime("%Y/%m/%d"),
        "お届け予定日": request.requested_date.strftime("%Y/%m/%d") if request.requested_date else "",
        "配達時間帯": slot,
        "お届け先電話番号": parsed(phone_digits, request.phone, "お届け先電話番号"),
        "お届け先郵便番号": parsed(postal_digits, request.postal_code, "お届け先郵便番号"),
        "お届け先住所": lines[0],
        "お届け先アパートマンション名": lines[1],
        "お届け先名": request.recipient_name,
        "お届け先名(ｶﾅ)": request.recipient_kana,
        "敬称": "様",
        "ご依頼主電話番号": parsed(phone_digits, request.sender.phone, "ご依頼主電話番号"),
        "ご依頼主郵便番号": parsed(postal_digits, request.sender.postal_code, "ご依頼主郵便番号"),
        "ご依頼主住所": request.sender.address,
        "ご依頼主アパートマンション": request.sender.address2,
        "ご依頼主名": request.sender.name,
        "品名１": names[0] if names else "",
        "品名２": second,
        "記事": f"受注番号 {request.order_number}",
        "ｺﾚｸﾄ代金引換額（税込)": str(cod) if cod else "",
        "内消費税額等": str(cod_tax(cod)) if cod else "",
        "発行枚数": str(request.package_count) if many else "",
        "個数口表示フラグ": "3" if many else "",
        "請求先顧客コード": account.customer_code,
        "請求先分類コード": account.class_code,
        "運賃管理番号": account.freight_number,
    }


def write_b2(requests: Sequence[SlipRequest], ship_date: date, account: B2Account, header: bool = True) -> SlipFile:
    """The B2クラウド import file for ``requests`` shipping on ``ship_date`` (CP932, CRLF)."""
    return write(COLUMNS, requests, lambda r: _row(r, ship_date, account), header)
