"""日本郵便 ゆうプリR: the 発送予定データ layout (118 columns) for ゆうパック and ゆうパケット.

ゆうプリR reads files through an import filter (取込フィルタ) the shop registers once; this layout is the one
public tools write for the standard filter. Several codes and widths here are not confirmed by a carrier
document: docs/carrier-slips.md lists them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from juchu.fulfillment.slips.layout import Column, Kind, Overflow, RowRefused, parsed, write
from juchu.fulfillment.slips.model import Cool, Service, SlipFile, SlipRequest, TimeSlot
from juchu.fulfillment.slips.text import flow, phone_digits, postal_digits

#: Rakuten 配送会社コード of Japan Post.
CARRIER_CODE = "1003"

T, D, A, DT, C = Kind.TEXT, Kind.DIGITS, Kind.ALNUM, Kind.DATE, Kind.CODE
CUT = Overflow.TRUNCATE
_DIGITS = "０１２３４５６７８９"


def _zz(n: int) -> str:
    return "".join(_DIGITS[int(d)] for d in f"{n:02d}")


_HEAD: tuple[Column, ...] = (
    Column(1, "お客様側管理番号", "SlipRequest.reference (出荷依頼ID)", A, 15, True),
    Column(2, "発送予定日", "the file's ship date, YYYYMMDD", DT, 8, True),
    Column(3, "発送予定時間区分"),
    Column(4, "出荷期限日"),
    Column(5, "到着期限日"),
    Column(6, "郵便種別", "service → 0 ゆうパック / 9 ゆうパケット", C, 1, True),
    Column(7, "保冷種別", "cool → 0 なし / 1 チルド / 2 冷凍", C, 1),
    Column(8, "元／着払／代引", "0 元払, 2 代引 when cod_amount", C, 1),
    Column(9, "書留／セキュリティ／特定記録種別"),
    Column(10, "配達時間帯指定郵便種別"),
    Column(11, "送り状種別", "JapanPostAccount.label_type", A, 20),
    Column(12, "お届け先 コード"),
    Column(13, "お届け先 郵便番号", "postal_code, 7 digits", D, 8, True),
    Column(14, "お届け先 住所１", "prefecture + city (overflow flows into 2 and 3)", T, 50, True),
    Column(15, "お届け先 住所２", "address1", T, 50),
    Column(16, "お届け先 住所３", "address2", T, 50),
    Column(17, "お届け先 名称１", "recipient_name", T, 50, True),
    Column(18, "お届け先 名称２"),
    Column(19, "お届け先 敬称区分", "0", C, 1),
    Column(20, "お届け先 電話番号", "phone, digits only (required for ゆうパック)", D, 20),
)
_BLANK_NAMES = (
    "お届け先 メールアドレス１",
    "お届け先 局留め区分",
    "お届け先 局留め郵便局名",
    "お届け先 局留めメール使用区分",
    "お届け先 局留め郵便番号",
    "お届け先 配達予告メール使用区分",
    "お届け先 再配達予告メール使用区分",
    "ご依頼主 コード",
    "ご依頼主 集荷先と同一区分",
)
_SENDER: tuple[Column, ...] = (
    Column(30, "ご依頼主 郵便番号", "sender.postal_code, 7 digits", D, 8, True),
    Column(31, "ご依頼主 住所１", "sender.address (overflow flows into 2)", T, 50, True),
    Column(32, "ご依頼主 住所２", "sender.address2", T, 50),
    Column(33, "ご依頼主 住所３"),
    Column(34, "ご依頼主 名称１", "sender.name", T, 50, True),
    Column(35, "ご依頼主 名称２"),
    Column(36, "ご依頼主 敬称"),
    Column(37, "ご依頼主 電話番号", "sender.phone, digits only", D, 20, True),
)
_MIDDLE_NAMES = (
    "ご依頼主 メールアドレス１",
    "ご依頼主 荷送人指図区分",
    "ご依頼主 お届け通知メール使用区分",
    "ご依頼主 お届け通知はがき使用区分",
    "集荷先 コード",
    "集荷先 連携可否区分",
    "集荷先 会社コード",
    "集荷先 依頼先店所コード",
    "集荷先 郵便番号",
    "集荷先 住所１",
    "集荷先 住所２",
    "集荷先 住所３",
    "集荷先 名称１",
    "集荷先 名称２",
    "集荷先 敬称",
    "集荷先 電話番号",
)
_GOODS: tuple[Column, ...] = (
    Column(54, "受注番号", "order_number", T, 50),
    Column(55, "注文日"),
    Column(56, "こわれもの区分"),
    Column(57, "なまもの区分"),
    Column(58, "ビン類区分"),
    Column(59, "逆さま厳禁区分"),
    Column(60, "下積み厳禁区分"),
    Column(61, "商品サイズ区分"),
    Column(62, "重量合計（ｇ）"),
    Column(63, "25kg超重量物区分"),
    Column(64, "損害要償額"),
    Column(65, "速達・配達日指定種別"),
    Column(66, "配達指定日／希望日", "requested_date, YYYYMMDD", DT, 8),
    Column(67, "配達時間帯区分", "time_slot → 51〜57 (unverified codes)", C, 2),
    Column(68, "差出方法区分"),
    Column(69, "ゆうパック複数個割引"),
    Column(70, "ゆうパック同一割引"),
    Column(71, "セット商品コード"),
    Column(72, "セット品名ラベル印字区分"),
    Column(73, "複数個口数", "package_count when > 1", D, 3),
    Column(74, "記事名１", "item_names[0] (cut to fit)", T, 50, True, CUT),
    Column(75, "記事名２", "item_names[1], with 他N点 when there are more (cut to fit)", T, 50, False, CUT),
)
_TAIL_NAMES = (
    *(f"フリー項目{_zz(n)}" for n in range(1, 11)),
    "空港利用区分",
    "空港・局／支店名",
    "航空会社名",
    "利用便名",
    "レジャー区分",
    "プレー・搭乗日",
    "プレー・搭乗時間",
    "クラブ本数",
    "復路集貨日",
    "出荷先登録名",
    "集荷希望区分",
    "集荷日付",
    "集荷時間帯区分",
    "支店連携先選択用名称",
)
_COD: tuple[Column, ...] = (
    Column(100, "代引金額", "cod_amount", D, 7),
    Column(101, "代引消費税金額", "the 10% share of cod_amount, rounded down", D, 7),
    Column(102, "送り状発行年月日"),
    Column(103, "商品番号"),
    Column(104, "品名", "item_names[0] (cut to fit)", T, 50, False, CUT),
)
_GOODS_DETAIL = ("個数", "重量（ｇ）", "単価", "金額", *(f"商品備考{_zz(n)}" for n in range(1, 11)))

COLUMNS: tuple[Column, ...] = (
    *_HEAD,
    *(Column(21 + i, name) for i, name in enumerate(_BLANK_NAMES)),
    *_SENDER,
    *(Column(38 + i, name) for i, name in enumerate(_MIDDLE_NAMES)),
    *_GOODS,
    *(Column(76 + i, name) for i, name in enumerate(_TAIL_NAMES)),
    *_COD,
    *(Column(105 + i, name) for i, name in enumerate(_GOODS_DETAIL)),
)

MAIL_TYPES = {Service.PARCEL: "0", Service.MAIL: "9"}
COOL_CODES = {Cool.NONE: "0", Cool.CHILLED: "1", Cool.FROZEN: "2"}
#: 配達時間帯区分 (unverified; see docs/carrier-slips.md). 20〜21時 was withdrawn in 2024.
TIME_CODES = {
    TimeSlot.MORNING: "51",
    TimeSlot.H12_14: "52",
    TimeSlot.H14_16: "53",
    TimeSlot.H16_18: "54",
    TimeSlot.H18_20: "55",
    TimeSlot.H19_21: "57",
}


@dataclass(frozen=True, slots=True)
class JapanPostAccount:
    """The shop's ゆうプリR settings: the 送り状種別 its filter expects (blank lets the filter decide)."""

    label_type: str = ""


def _row(request: SlipRequest, ship_date: date, account: JapanPostAccount) -> dict[str, str]:
    service, cod = request.service, request.cod_amount
    if service not in MAIL_TYPES:
        raise RowRefused("郵便種別", f"ゆうプリRでは{service.label_ja}を扱いません (ゆうパック・ゆうパケットのみ)")
    if service is Service.MAIL:
        for given, column, what in (
            (cod, "元／着払／代引", "代引き"),
            (request.cool is not Cool.NONE, "保冷種別", "チルド・冷凍"),
            (request.time_slot, "配達時間帯区分", "時間帯指定"),
            (request.package_count > 1, "複数個口数", "複数個口"),
        ):
            if given:
                raise RowRefused(column, f"ゆうパケットでは{what}を使えません")
    slot = ""
    if request.time_slot is not None:
        if request.time_slot not in TIME_CODES:
            raise RowRefused("配達時間帯区分", f"ゆうパックでは {request.time_slot.label_ja} を指定できません")
        slot = TIME_CODES[request.time_slot]
    phone = ""
    if service is Service.PARCEL or request.phone:
        phone = parsed(phone_digits, request.phone, "お届け先 電話番号")
    groups = [f"{request.prefecture}{request.city}", request.address1, request.address2]
    address = flow(groups, [50, 50, 50])
    if address is None:
        raise RowRefused("お届け先 住所１", "住所が長すぎます (住所１〜３ 全角75文字に収まりません)")
    sender_address = flow([request.sender.address, request.sender.address2], [50, 50])
    if sender_address is None:
        raise RowRefused("ご依頼主 住所１", "ご依頼主の住所が長すぎます")
    names = request.item_names
    second = names[1] if len(names) > 1 else ""
    if len(names) > 2:
        second = f"{second} 他{len(names) - 2}点"
    return {
        "お客様側管理番号": request.reference,
        "発送予定日": ship_date.strftime("%Y%m%d"),
        "郵便種別": MAIL_TYPES[service],
        "保冷種別": COOL_CODES[request.cool],
        "元／着払／代引": "2" if cod else "0",
        "送り状種別": account.label_type,
        "お届け先 郵便番号": parsed(postal_digits, request.postal_code, "お届け先 郵便番号"),
        "お届け先 住所１": address[0],
        "お届け先 住所２": address[1],
        "お届け先 住所３": address[2],
        "お届け先 名称１": request.recipient_name,
        "お届け先 敬称区分": "0",
        "お届け先 電話番号": phone,
        "ご依頼主 郵便番号": parsed(postal_digits, request.sender.postal_code, "ご依頼主 郵便番号"),
        "ご依頼主 住所１": sender_address[0],
        "ご依頼主 住所２": sender_address[1],
        "ご依頼主 名称１": request.sender.name,
        "ご依頼主 電話番号": parsed(phone_digits, request.sender.phone, "ご依頼主 電話番号"),
        "受注番号": request.order_number,
        "配達指定日／希望日": request.requested_date.strftime("%Y%m%d") if request.requested_date else "",
        "配達時間帯区分": slot,
        "複数個口数": str(request.package_count) if request.package_count > 1 else "",
        "記事名１": names[0] if names else "",
        "記事名２": second,
        "代引金額": str(cod) if cod else "",
        "代引消費税金額": str(cod * 10 // 110) if cod else "",
        "品名": names[0] if names else "",
    }


def write_yupri(
    requests: Sequence[SlipRequest], ship_date: date, account: JapanPostAccount | None = None, header: bool = True
) -> SlipFile:
    """The ゆうプリR import file for ``requests`` shipping on ``ship_date`` (CP932, CRLF)."""
    chosen = account or JapanPostAccount()
    return write(COLUMNS, requests, lambda r: _row(r, ship_date, chosen), header)
