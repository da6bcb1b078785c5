"""Reading the carriers' issued-slip files back: reference, tracking number (お問い合わせ番号) and ship date.

B2クラウド 発行済データ, e飛伝 出荷実績 and ゆうプリR 発送履歴 are read by their header names (several
spellings are accepted); a B2 or e飛伝 file without a header row is read by the import layout's column
positions. UTF-8 (with or without BOM) and CP932 are detected as in juchu.csvio. Each bad row is reported
with its row number, column and reason; the good rows are kept.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from juchu.csvio.text import FileRejected, RowError, decode, parse_date, read_rows
from juchu.fulfillment.slips import japanpost, sagawa, yamato


class Carrier(StrEnum):
    """A carrier whose issued-slip file Juchu reads, valued by its Rakuten 配送会社コード."""

    YAMATO = yamato.CARRIER_CODE
    SAGAWA = sagawa.CARRIER_CODE
    JAPAN_POST = japanpost.CARRIER_CODE


@dataclass(frozen=True, slots=True)
class _Format:
    reference: tuple[str, ...]
    tracking: tuple[str, ...]
    shipped: tuple[str, ...]
    #: 1-based (reference, tracking, ship date) positions for a file without a header row, if known.
    positions: tuple[int, int, int] | None
    lengths: tuple[int, ...]


_FORMATS = {
    Carrier.YAMATO: _Format(
        ("お客様管理番号",),
        ("伝票番号", "送り状番号", "お問い合わせ番号"),
        ("出荷予定日", "出荷日", "発行日"),
        (1, 4, 5),
        (12,),
    ),
    Carrier.SAGAWA: _Format(
        ("お客様管理番号", "お客様管理ナンバー"),
        (
            "お問い合せ送り状No.",
            "お問合せ送り状No.",
            "お問い合せ番号",
            "問い合せ番号",
            "お問い合わせ番号",
            "問合せ番号",
            "送り状番号",
        ),
        ("出荷日", "集荷日"),
        (10, 62, 61),
        (12,),
    ),
    Carrier.JAPAN_POST: _Format(
        ("お客様側管理番号",),
        ("お問い合わせ番号", "問い合わせ番号", "追跡番号"),
        ("発送日", "差出日", "引受日", "発送予定日", "仮引受確定作業年月日", "送り状発行年月日"),
        None,
        (11, 12, 13),
    ),
}


@dataclass(frozen=True, slots=True)
class TrackingRow:
    """One parcel the carrier issued: the slip's reference (出荷依頼ID or its key), number and ship date."""

    row: int
    reference: str
    tracking_number: str
    shipped_on: date
    carrier_code: str


@dataclass
class TrackingImport:
    """The parcels read, the rows refused, and rows kept with a doubt (row, column, reason)."""

    rows: list[TrackingRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    warnings: list[RowError] = field(default_factory=list)


def _key(name: str) -> str:
    return unicodedata.normalize("NFKC", name).replace(" ", "").strip().lstrip("\ufeff")


def check_digit_ok(number: str) -> bool:
    """Whether the last digit is the rest of the number modulo 7 (7DR), as Yamato, Sagawa and 日本郵便 use."""
    return len(number) > 1 and int(number[:-1]) % 7 == int(number[-1])


def read_tracking(carrier: Carrier, data: bytes, default_ship_date: date) -> TrackingImport:
    """The parcels in a carrier's issued-slip file; a row without a ship date gets ``default_ship_date``.

    Several rows with one reference are several parcels of one request (個数口); an exact repeat is kept once.
    """
    fmt = _FORMATS[carrier]
    result = TrackingImport()
    try:
        rows = read_rows(decode(data))
        first = next(rows, None)
        if first is None:
            raise FileRejected(RowError(1, "", "空のファイルです"))
        names = [_key(c) for c in first[1]]
        if any(_key(n) in names for n in fmt.reference):
            at = {
                what: next((names.index(_key(n)) for n in options if _key(n) in names), None)
                for what, options in (("ref", fmt.reference), ("no", fmt.tracking), ("day", fmt.shipped))
            }
            if at["no"] is None:
                raise FileRejected(RowError(1, fmt.tracking[0], "お問い合わせ番号 (伝票番号) の列がありません"))
            body = rows
        elif fmt.positions is not None:
            at = dict(zip(("ref", "no", "day"), (p - 1 for p in fmt.positions), strict=True))
            body = iter([first, *rows])
        else:
            raise FileRejected(RowError(1, fmt.reference[0], f"見出し行に {fmt.reference[0]} の列がありません"))
        seen: set[tuple[str, str]] = set()
        for row, cells in body:
            parsed = _row(carrier, fmt, row, cells, at, default_ship_date, result)
            if parsed is not None and (parsed.reference, parsed.tracking_number) not in seen:
                seen.add((parsed.reference, parsed.tracking_number))
                result.rows.append(parsed)
    except FileRejected as exc:
        return TrackingImport(errors=[exc.error])
    return result


def _cell(cells: list[str], index: int | None) -> str:
    return cells[index].strip() if index is not None and index < len(cells) else ""


def _row(
    carrier: Carrier,
    fmt: _Format,
    row: int,
    cells: list[str],
    at: dict[str, int | None],
    default_ship_date: date,
    result: TrackingImport,
) -> TrackingRow | None:
    reference, raw = _cell(cells, at["ref"]), _cell(cells, at["no"])
    if not reference:
        result.errors.append(RowError(row, fmt.reference[0], "空です (どの出荷依頼か分かりません)"))
        return None
    number = unicodedata.normalize("NFKC", raw).replace("-", "").replace(" ", "")
    if not number:
        result.errors.append(RowError(row, fmt.tracking[0], "空です (まだ発行されていません)", reference))
        return None
    if "E+" in number.upper() and not number.isdigit():
        reason = f"'{raw}' は Excel が指数表記に変えた番号です (元のファイルを取り込んでください)"
        result.errors.append(RowError(row, fmt.tracking[0], reason, reference))
        return None
    if not (number.isascii() and number.isdigit()) or len(number) not in fmt.lengths:
        digits = "・".join(str(n) for n in fmt.lengths)
        result.errors.append(RowError(row, fmt.tracking[0], f"'{raw}' は {digits} 桁の番号ではありません", reference))
        return None
    if not check_digit_ok(number):
        result.warnings.append(RowError(row, fmt.tracking[0], f"'{raw}' のチェックディジットが合いません", reference))
    shipped = default_ship_date
    text = _cell(cells, at["day"])
    if text:
        try:
            shipped = parse_date(text.split()[0])
        except ValueError:
            column = fmt.shipped[0]
            result.errors.append(RowError(row, column, f"'{text}' は日付 (YYYY/MM/DD) ではありません", reference))
            return None
    return TrackingRow(row, reference, number, shipped, carrier.value)
