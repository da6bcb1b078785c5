"""佐川急便 e飛伝III (also read by e飛伝II): the 送り状データ取込 layout (74 columns, header row) and its codes.

Import it with the common template 「標準_飛脚宅配便_CSV_ヘッダ有り」. Names, addresses and item names are
written full-width, 16 characters a line, as e飛伝 prints them. Sources and unverified choices:
docs/carrier-slips.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from juchu.fulfillment.slips.layout import Column, Kind, Overflow, RowRefused, parsed, write
from juchu.fulfillment.slips.model import Cool, Service, SlipFile, SlipRequest, TimeSlot
from juchu.fulfillment.slips.text import flow, full_width, phone_digits, postal_digits

#: Rakuten 配送会社コード of Sagawa.
CARRIER_CODE = "1002"

T, D, A, DT, C = Kind.TEXT, Kind.DIGITS, Kind.ALNUM, Kind.DATE, Kind.CODE
CUT = Overflow.TRUNCATE
_LINE = 32  # 全角16文字
_DIGITS = "０１２３４５６７８９"


def _z(n: int) -> str:
    return "".join(_DIGITS[int(d)] for d in str(n))


COLUMNS: tuple[Column, ...] = (
    Column(1, "お届け先コード取得区分", "blank (no address book lookup)", C, 1),
    Column(2, "お届け先コード", "blank", A, 12),
    Column(3, "お届け先電話番号", "phone, digits only", D, 14, True),
    Column(4, "お届け先郵便番号", "postal_code, 7 digits", D, 8, True),
    Column(5, "お届け先住所１", "prefecture + city, full-width (overflow flows into 2 and 3)", T, _LINE, True),
    Column(6, "お届け先住所２", "address1, full-width", T, _LINE),
    Column(7, "お届け先住所３", "address2, full-width", T, _LINE),
    Column(8, "お届け先名称１", "recipient_name, full-width (overflow → 名称２)", T, _LINE, True),
    Column(9, "お届け先名称２", "rest of recipient_name", T, _LINE),
    Column(10, "お客様管理番号", "SlipRequest.reference (出荷依頼ID)", A, 16, True),
    Column(11, "お客様コード", "SagawaAccount.customer_code", D, 12),
    Column(12, "部署ご担当者コード取得区分"),
    Column(13, "部署ご担当者コード"),
    Column(14, "部署ご担当者名称"),
    Column(15, "荷送人電話番号"),
    Column(16, "ご依頼主コード取得区分"),
    Column(17, "ご依頼主コード"),
    Column(18, "ご依頼主電話番号", "sender.phone, digits only", D, 14, True),
    Column(19, "ご依頼主郵便番号", "sender.postal_code, 7 digits", D, 8, True),
    Column(20, "ご依頼主住所１", "sender.address, full-width (overflow → 住所２)", T, _LINE, True),
    Column(21, "ご依頼主住所２", "sender.address2, full-width", T, _LINE),
    Column(22, "ご依頼主名称１", "sender.name, full-width", T, _LINE, True),
    Column(23, "ご依頼主名称２", "rest of sender.name", T, _LINE),
    Column(24, "荷姿"),
    *(
        Column(24 + n, f"品名{_z(n)}", f"item_names[{n - 1}], full-width (cut to fit)", T, _LINE, n == 1, CUT)
        for n in range(1, 6)
    ),
    Column(30, "荷札荷姿"),
    *(Column(30 + n, f"荷札品名{_z(n)}") for n in range(1, 12)),
    Column(42, "出荷個数", "package_count", D, 3, True),
    Column(43, "スピード指定", "000 (飛脚宅配便)", C, 3),
    Column(44, "クール便指定", "cool → 001 指定なし / 002 冷蔵 / 003 冷凍", C, 3),
    Column(45, "配達日", "requested_date, YYYYMMDD", DT, 8),
    Column(46, "配達指定時間帯", "time_slot → 01/12/14/16/18/04/19", C, 2),
    Column(47, "配達指定時間（時分）"),
    Column(48, "代引金額", "cod_amount", D, 7),
    Column(49, "消費税", "the 10% share of cod_amount, rounded down", D, 7),
    Column(50, "決済種別"),
    Column(51, "保険金額"),
    Column(52, "指定シール１"),
    Column(53, "指定シール２"),
    Column(54, "指定シール３"),
    Column(55, "営業所受取"),
    Column(56, "SRC区分"),
    Column(57, "営業所受取営業所コード"),
    Column(58, "元着区分", "1 (元払)", C, 1),
    Column(59, "メールアドレス"),
    Column(60, "ご不在時連絡先"),
    Column(61, "出荷日", "the file's ship date, YYYYMMDD", DT, 8),
    Column(62, "お問い合せ送り状No.", "blank: e飛伝 assigns it"),
    Column(63, "出荷場印字区分"),
    Column(64, "集約解除指定"),
    *(Column(64 + n, f"編集{_z(n).rjust(2, '０')}") for n in range(1, 11)),
)

COOL_CODES = {Cool.NONE: "001", Cool.CHILLED: "002", Cool.FROZEN: "003"}
TIME_CODES = {
    TimeSlot.MORNING: "01",
    TimeSlot.H12_14: "12",
    TimeSlot.H14_16: "14",
    TimeSlot.H16_18: "16",
    TimeSlot.H18_20: "18",
    TimeSlot.H18_21: "04",
    TimeSlot.H19_21: "19",
}


@dataclass(frozen=True, slots=True)
class SagawaAccount:
    """The shop's e飛伝 settings: its 12-digit お客様コード, when the shop wants it on every row."""

    customer_code: str = ""


def _split(text: str, column: str, lines: int) -> list[str]:
    placed = flow([full_width(text)], [_LINE] * lines, sep="\u3000")
    if placed is None:
        raise RowRefused(column, f"長すぎます (全角 {16 * lines} 文字に収まりません)")
    return placed


def _row(request: SlipRequest, ship_date: date, account: SagawaAccount) -> dict[str, str]:
    if request.service is not Service.PARCEL:
        raise RowRefused("スピード指定", f"佐川では{request.service.label_ja}を扱いません (飛脚宅配便のみ)")
    slot = ""
    if request.time_slot is not None:
        if request.time_slot not in TIME_CODES:
            raise RowRefused("配達指定時間帯", f"佐川では {request.time_slot.label_ja} を指定できません")
        slot = TIME_CODES[request.time_slot]
    groups = [f"{request.prefecture}{request.city}", request.address1, request.address2]
    address = flow([full_width(g) for g in groups], [_LINE] * 3, sep="\u3000")
    if address is None:
        raise RowRefused("お届け先住所１", "住所が長すぎます (住所１〜３ 全角48文字に収まりません)")
    name = _split(request.recipient_name, "お届け先名称１", 2)
    sender_address = flow(
        [full_width(request.sender.address), full_width(request.sender.address2)], [_LINE] * 2, "\u3000"
    )
    if sender_address is None:
        raise RowRefused("ご依頼主住所１", "ご依頼主の住所が長すぎます (全角32文字に収まりません)")
    sender_name = _split(request.sender.name, "ご依頼主名称１", 2)
    cod = request.cod_amount
    values = {
        "お届け先電話番号": parsed(phone_digits, request.phone, "お届け先電話番号"),
        "お届け先郵便番号": parsed(postal_digits, request.postal_code, "お届け先郵便番号"),
        "お届け先住所１": address[0],
        "お届け先住所２": address[1],
        "お届け先住所３": address[2],
        "お届け先名称１": name[0],
        "お届け先名称２": name[1],
        "お客様管理番号": request.reference,
        "お客様コード": account.customer_code,
        "ご依頼主電話番号": parsed(phone_digits, request.sender.phone, "ご依頼主電話番号"),
        "ご依頼主郵便番号": parsed(postal_digits, request.sender.postal_code, "ご依頼主郵便番号"),
        "ご依頼主住所１": sender_address[0],
        "ご依頼主住所２": sender_address[1],
        "ご依頼主名称１": sender_name[0],
        "ご依頼主名称２": sender_name[1],
        "出荷個数": str(request.package_count),
        "スピード指定": "000",
        "クール便指定": COOL_CODES[request.cool],
        "配達日": request.requested_date.strftime("%Y%m%d") if request.requested_date else "",
        "配達指定時間帯": slot,
        "代引金額": str(cod) if cod else "",
        "消費税": str(cod * 10 // 110) if cod else "",
        "元着区分": "1",
        "出荷日": ship_date.strftime("%Y%m%d"),
    }
    names = list(request.item_names[:5])
    if len(request.item_names) > 5:
        names[4] = f"{names[4]} 他{len(request.item_names) - 5}点"
    for n, item in enumerate(names, start=1):
        values[f"品名{_z(n)}"] = full_width(item)
    return values


def write_e_hiden(
    requests: Sequence[SlipRequest], ship_date: date, account: SagawaAccount | None = None, header: bool = True
) -> SlipFile:
    """The e飛伝III import file for ``requests`` shipping on ``ship_date`` (CP932, CRLF, header row)."""
    chosen = account or SagawaAccount()
    return write(COLUMNS, requests, lambda r: _row(r, ship_date, chosen), header)
