"""Reading an order CSV into mall orders: every bad row reported, an order with a bad row rejected whole.

Pure Python over bytes (no database): the same reader serves the preview, the commit, the command and the
fuzz tests. Order and destination columns are parsed once per order / destination, line columns per row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from juchu.connectors.base import MallLine, MallOrder, MallPackage
from juchu.csvio.order_layout import (
    LINE_COLUMNS,
    MAX_PACKAGES,
    ORDER_COLUMNS,
    ORDER_TYPES,
    PACKAGE_COLUMNS,
    PAYMENT_STATES,
    REQUIRED,
)
from juchu.csvio.text import (
    FileRejected,
    RowError,
    clean,
    decode,
    flag,
    header_index,
    integer,
    parse_date,
    parse_datetime,
    read_rows,
)
from juchu.domain.model import Address

_ORDER_NAMES = tuple(n for n, _ in ORDER_COLUMNS)
_PACKAGE_NAMES = tuple(n for n, _ in PACKAGE_COLUMNS)
_LINE_NAMES = tuple(n for n, _ in LINE_COLUMNS)
_LIMITS = dict((*ORDER_COLUMNS, *PACKAGE_COLUMNS, *LINE_COLUMNS))


@dataclass
class ReadResult:
    """The good orders of a file (with the rows each came from), the bad rows and the rejected orders."""

    orders: list[MallOrder] = field(default_factory=list)
    rows_of: dict[str, list[int]] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    rows: int = 0


@dataclass
class _Package:
    row: int
    raw: tuple[str, ...]
    lines: list[tuple[int, tuple[str, ...]]] = field(default_factory=list)


@dataclass
class _Draft:
    number: str
    row: int
    raw: tuple[str, ...]
    packages: dict[str, _Package] = field(default_factory=dict)
    rows: list[int] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


def read_orders(data: bytes) -> ReadResult:
    """Parse an order CSV. A file that cannot be read at all gives one error and no orders."""
    result = ReadResult()
    try:
        drafts = _group(decode(data), result)
    except FileRejected as exc:
        return ReadResult(errors=[exc.error])
    for draft in drafts.values():
        order = _build(draft)
        if draft.errors:
            result.errors += draft.errors
            result.rejected.append(draft.number)
        elif order is not None:
            result.orders.append(order)
            result.rows_of[draft.number] = draft.rows
    result.errors.sort(key=lambda e: (e.row, e.column))
    return result


def _group(text: str, result: ReadResult) -> dict[str, _Draft]:
    rows = read_rows(text)
    first = next(rows, None)
    if first is None:
        raise FileRejected(RowError(1, "", "ヘッダー行がありません (空のファイルです)"))
    index = header_index(first[1], REQUIRED, [n for n in _LIMITS if n not in REQUIRED])
    width = len(first[1])
    pick = [(index.get(n, -1)) for n in (*_ORDER_NAMES, *_PACKAGE_NAMES, *_LINE_NAMES)]
    n_order, n_package = len(_ORDER_NAMES), len(_PACKAGE_NAMES)
    drafts: dict[str, _Draft] = {}
    for row, cells in rows:
        result.rows += 1
        if len(cells) > width:
            number = cells[index["受注番号"]].strip()
            error = RowError(row, "", f"列の数 {len(cells)} がヘッダーの列数 {width} より多いです", number)
            _reject_row(drafts, number, row, error, result)
            continue
        values = tuple(cells[i].strip() if 0 <= i < len(cells) else "" for i in pick)
        number = values[0]
        if not number:
            result.errors.append(RowError(row, "受注番号", "空です (どの受注の行か分かりません)"))
            continue
        order_raw, package_raw, line_raw = (
            values[:n_order],
            values[n_order : n_order + n_package],
            values[n_order + n_package :],
        )
        draft = drafts.get(number)
        if draft is None:
            draft = drafts[number] = _Draft(number, row, order_raw)
        else:
            _same(draft, row, _ORDER_NAMES, draft.raw, order_raw)
        draft.rows.append(row)
        seq = package_raw[0] or "1"
        package = draft.packages.get(seq)
        if package is None:
            package = draft.packages[seq] = _Package(row, package_raw)
        else:
            _same(draft, row, _PACKAGE_NAMES, package.raw, package_raw)
        package.lines.append((row, line_raw))
    return drafts


def _reject_row(drafts: dict[str, _Draft], number: str, row: int, error: RowError, result: ReadResult) -> None:
    if number and number in drafts:
        drafts[number].errors.append(error)
        drafts[number].rows.append(row)
    elif number:
        draft = drafts[number] = _Draft(number, row, ())
        draft.errors.append(error)
    else:
        result.errors.append(error)


def _same(draft: _Draft, row: int, names: tuple[str, ...], first: tuple[str, ...], raw: tuple[str, ...]) -> None:
    """Later rows may leave an order/destination column blank, never give it another value."""
    if raw == first:
        return
    for name, a, b in zip(names, first, raw, strict=True):
        if b and a != b:
            draft.errors.append(
                RowError(row, name, f"同じ受注の {draft.row} 行目の値 '{a}' と違う値 '{b}' です", draft.number)
            )


class _Cells:
    """Named access to one group of raw cells, collecting errors instead of raising them."""

    def __init__(self, draft: _Draft, row: int, names: tuple[str, ...], raw: tuple[str, ...]) -> None:
        self.draft, self.row, self.values = draft, row, dict(zip(names, raw, strict=True))

    def error(self, column: str, reason: str) -> None:
        self.draft.errors.append(RowError(self.row, column, reason, self.draft.number))

    def text(self, name: str, multiline: bool = False) -> str:
        try:
            value = clean(self.values[name], _LIMITS[name], multiline)
        except ValueError as exc:
            self.error(name, str(exc))
            return ""
        if not value and name in REQUIRED:
            self.error(name, "必須です")
        return value

    def number(self, name: str, minimum: int = 0, maximum: int = 999_999_999, default: int = 0) -> int:
        value = self.values[name]
        if not value:
            if name in REQUIRED:
                self.error(name, "必須です")
            return default
        try:
            return integer(value, minimum, maximum)
        except ValueError as exc:
            self.error(name, str(exc))
            return default


def _build(draft: _Draft) -> MallOrder | None:
    if draft.errors and not draft.raw:
        return None
    o = _Cells(draft, draft.row, _ORDER_NAMES, draft.raw)
    number = o.text("受注番号")
    ordered_at: datetime | None = None
    raw_time = o.text("注文日時")
    if raw_time:
        try:
            ordered_at = parse_datetime(raw_time)
        except ValueError as exc:
            o.error("注文日時", str(exc))
    payment_state = PAYMENT_STATES.get(o.text("入金状態"))
    if payment_state is None:
        o.error(
            "入金状態",
            f"'{o.values['入金状態']}' は {'・'.join(k for k in PAYMENT_STATES if k)} のどれかにしてください",
        )
    order_type = ORDER_TYPES.get(o.text("注文種別"))
    if order_type is None:
        o.error(
            "注文種別", f"'{o.values['注文種別']}' は {'・'.join(k for k in ORDER_TYPES if k)} のどれかにしてください"
        )
    gift = False
    try:
        gift = flag(o.values["ギフト"])
    except ValueError as exc:
        o.error("ギフト", str(exc))
    postage, coupon, points = o.number("送料"), o.number("クーポン利用額"), o.number("ポイント利用額")
    total_given = o.values["合計金額"]
    total = o.number("合計金額")
    head = {
        "buyer_name": o.text("注文者氏名"),
        "buyer_kana": o.text("注文者カナ"),
        "email": o.text("メールアドレス"),
        "phone": o.text("注文者電話番号"),
        "payment_method": o.text("決済方法"),
        "remarks": o.text("備考", multiline=True),
    }
    packages: list[MallPackage] = []
    for package in sorted(draft.packages.values(), key=lambda p: p.row):
        built = _build_package(draft, package)
        if any(p.mall_package_id == built.mall_package_id for p in packages):
            draft.errors.append(
                RowError(package.row, "送付先番号", f"送付先番号 {built.mall_package_id} が重複しています", number)
            )
        packages.append(built)
    goods = sum(line.unit_price * line.quantity for p in packages for line in p.lines)
    if not total_given:
        total = goods + postage - coupon - points
        if total < 0:
            o.error("合計金額", f"商品合計 {goods:,} + 送料 {postage:,} - 値引き {coupon + points:,} が負になります")
    if draft.errors or ordered_at is None or payment_state is None or order_type is None:
        return None
    return MallOrder(
        mall_order_number=number,
        ordered_at=ordered_at,
        packages=tuple(packages),
        payment_state=payment_state,
        order_type=order_type,
        gift=gift,
        coupon_used=coupon,
        points_used=points,
        goods_total=goods,
        postage=postage,
        total=total,
        **head,
    )


def _build_package(draft: _Draft, package: _Package) -> MallPackage:
    p = _Cells(draft, package.row, _PACKAGE_NAMES, package.raw)
    number = p.number("送付先番号", 1, MAX_PACKAGES, default=1)
    requested = None
    if p.values["お届け希望日"]:
        try:
            requested = parse_date(p.values["お届け希望日"])
        except ValueError as exc:
            p.error("お届け希望日", str(exc))
    fields = {name: p.text(name) for name in _PACKAGE_NAMES if name not in ("送付先番号", "お届け希望日")}
    lines = []
    for row, raw in package.lines:
        c = _Cells(draft, row, _LINE_NAMES, raw)
        item, variant, name = c.text("商品ID"), c.text("バリエーションID"), c.text("商品名")
        lines.append(MallLine(item, c.number("数量", 1, 99_999), c.number("単価", 0, 99_999_999), name, variant))
    return MallPackage(
        recipient_name=fields["送付先氏名"],
        recipient_kana=fields["送付先カナ"],
        phone=fields["送付先電話番号"],
        address=Address(
            fields["送付先郵便番号"],
            fields["送付先都道府県"],
            fields["送付先市区町村"],
            fields["送付先住所1"],
            fields["送付先住所2"],
        ),
        delivery_method=fields["配送方法"],
        lines=tuple(lines),
        mall_package_id=str(number),
        requested_date=requested,
        delivery_time=fields["お届け時間帯"],
    )
