"""A carrier layout as a table of columns, and the one routine that writes rows against it.

Each carrier module lists its columns (number, header, where the value comes from, kind, width) and a
function that turns a :class:`SlipRequest` into values by header. :func:`write` checks every value against
its column and writes the rows that pass; a refused row names its request and column and never stops the
others.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from juchu.fulfillment.slips.model import SlipError, SlipFile, SlipRequest
from juchu.fulfillment.slips.text import csv_bytes, half_kana, one_line, to_cp932, truncate, width


class Kind(StrEnum):
    """What a column may hold."""

    TEXT = "text"  # 全角/半角
    DIGITS = "digits"  # 半角数字
    ALNUM = "alnum"  # 半角英数字 (and - _)
    KANA = "kana"  # 半角カタカナ
    DATE = "date"  # as the layout writes dates
    CODE = "code"  # one of the carrier's codes


class Overflow(StrEnum):
    """What happens to a value longer than its column."""

    ERROR = "error"  # the row is refused: cutting it would misdeliver (names, addresses, numbers)
    TRUNCATE = "truncate"  # cut with a warning: descriptive text only (品名, 記事)


@dataclass(frozen=True, slots=True)
class Column:
    """One column of a carrier layout; ``width`` is in CP932 bytes (0: the source gives none)."""

    number: int
    header: str
    source: str = ""
    kind: Kind = Kind.TEXT
    width: int = 0
    required: bool = False
    overflow: Overflow = Overflow.ERROR


class RowRefused(Exception):
    """Raised by a carrier's row builder: this request cannot be written, because of this column."""

    def __init__(self, column: str, reason: str) -> None:
        super().__init__(f"{column}: {reason}")
        self.column = column
        self.reason = reason


Builder = Callable[[SlipRequest], Mapping[str, str]]


def parsed(parse: Callable[[str], str], value: str, column: str) -> str:
    """``parse(value)``, its ValueError turned into a refusal naming ``column``."""
    try:
        return parse(value)
    except ValueError as exc:
        raise RowRefused(column, str(exc)) from None


def write(columns: Sequence[Column], requests: Sequence[SlipRequest], build: Builder, header: bool = True) -> SlipFile:
    """The carrier file for ``requests``: header row (when asked), then one row per writable request."""
    rows: list[list[str]] = [[c.header for c in columns]] if header else []
    written: list[str] = []
    errors: list[SlipError] = []
    warnings: list[SlipError] = []
    for request in requests:
        try:
            values = build(request)
        except RowRefused as exc:
            errors.append(SlipError(request.request_id, exc.column, exc.reason))
            continue
        row_errors: list[SlipError] = []
        row: list[str] = []
        for column in columns:
            value, problems, notes = _check(column, one_line(values.get(column.header, "")))
            row.append(value)
            row_errors += [SlipError(request.request_id, column.header, p) for p in problems]
            warnings += [SlipError(request.request_id, column.header, n) for n in notes]
        if row_errors:
            errors += row_errors
            continue
        rows.append(row)
        written.append(request.request_id)
    return SlipFile(csv_bytes(rows), tuple(written), tuple(errors), tuple(warnings))


def _check(column: Column, value: str) -> tuple[str, list[str], list[str]]:
    """The value as written, the reasons it cannot be, and what was changed to write it."""
    problems: list[str] = []
    notes: list[str] = []
    if not value:
        return "", (["必須です"] if column.required else []), []
    if column.kind is Kind.KANA:
        try:
            value = half_kana(value)
        except ValueError as exc:
            if column.required:
                return value, [str(exc)], []
            return "", [], [f"{exc}: 空欄にしました"]
    value, lost = to_cp932(value)
    if lost:
        notes.append(f"CP932 にない文字 '{lost}' を 〓 にしました (発行前に直してください)")
    if column.kind in (Kind.DIGITS, Kind.DATE) and not (value.isascii() and value.replace("/", "").isdigit()):
        problems.append(f"'{value}' は半角数字ではありません")
    if column.kind is Kind.ALNUM and not (value.isascii() and value.replace("-", "").replace("_", "").isalnum()):
        problems.append(f"'{value}' は半角英数字ではありません")
    size = width(value)
    if column.width and size > column.width:
        if column.overflow is Overflow.TRUNCATE:
            value = truncate(value, column.width)
            notes.append(f"長すぎるため {column.width} バイトに切り詰めました")
        else:
            problems.append(f"長すぎます ({size} バイト、上限 {column.width} バイト = 全角 {column.width // 2} 文字)")
    return value, problems, notes
