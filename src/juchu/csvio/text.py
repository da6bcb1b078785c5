"""Decoding uploaded files, writing CSV for Japanese consumers, and parsing the values found in cells."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

JST = ZoneInfo("Asia/Tokyo")
ENCODINGS = {"cp932": "cp932", "sjis": "cp932", "shift_jis": "cp932", "utf-8": "utf-8", "utf8": "utf-8"}
#: Bigger cells than this are refused (a broken quote swallowing the file, not a value).
MAX_CELL = 10_000


@dataclass(frozen=True, slots=True)
class RowError:
    """One problem in a file: where (row number from 1 = header, column) and why."""

    row: int
    column: str
    reason: str
    #: The order the row belongs to, when known (its whole order is then rejected).
    order_number: str = ""

    def __str__(self) -> str:
        column = f" {self.column}" if self.column else ""
        return f"{self.row}行目{column}: {self.reason}"


class FileRejected(Exception):
    """The file as a whole cannot be read (encoding, header, broken quoting); nothing is imported."""

    def __init__(self, error: RowError) -> None:
        super().__init__(str(error))
        self.error = error


def decode(data: bytes) -> str:
    """The text of an uploaded file: UTF-8 with BOM, UTF-8, else CP932; line ends as they are."""
    if data.startswith(b"\xef\xbb\xbf"):
        encodings: Sequence[str] = ("utf-8-sig",)
    else:
        encodings = ("utf-8", "cp932")
    for encoding in encodings:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise FileRejected(RowError(1, "", "文字コードを読めません。UTF-8 か CP932 (Shift_JIS) で保存してください"))


def read_rows(text: str) -> Iterator[tuple[int, list[str]]]:
    """(row number of the record's first line, cells) for each non-blank record; raises FileRejected."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    start = 1
    try:
        for cells in reader:
            if any(cell.strip() for cell in cells):
                for cell in cells:
                    if len(cell) > MAX_CELL:
                        raise FileRejected(
                            RowError(start, "", f"値が長すぎます ({len(cell):,} 文字)。引用符の閉じ忘れかもしれません")
                        )
                yield start, cells
            start = reader.line_num + 1
    except csv.Error as exc:
        raise FileRejected(RowError(reader.line_num or 1, "", f"CSVとして読めません ({exc})")) from None


def header_index(header: list[str], required: Sequence[str], optional: Sequence[str]) -> dict[str, int]:
    """Column positions by name; raises FileRejected for a missing required or a repeated column."""
    names = [h.strip().lstrip("\ufeff") for h in header]
    seen: set[str] = set()
    for name in names:
        if name and name in seen:
            raise FileRejected(RowError(1, name, "同じ名前の列が2つあります"))
        seen.add(name)
    missing = [c for c in required if c not in seen]
    if missing:
        raise FileRejected(RowError(1, missing[0], f"必須の列がありません (必要な列: {'、'.join(missing)})"))
    return {name: names.index(name) for name in (*required, *optional) if name in seen}


def writer_bytes(rows: Iterable[Sequence[object]], encoding: str = "cp932") -> bytes:
    """CSV bytes with CRLF line ends; characters CP932 cannot hold become '?' (Excel would garble them)."""
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return encode(out.getvalue(), encoding)


def encode(text: str, encoding: str = "cp932") -> bytes:
    """Text in the consumer's encoding: ``cp932`` or ``utf-8`` (with BOM, so Excel reads it as UTF-8)."""
    codec = ENCODINGS.get(encoding.lower())
    if codec is None:
        raise ValueError(f"文字コード {encoding} には対応していません (cp932 か utf-8)")
    if codec == "utf-8":
        return b"\xef\xbb\xbf" + text.encode("utf-8")
    return text.encode("cp932", errors="replace")


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_LINE_BREAK = re.compile(r"[\r\n\t]")


def clean(value: str, limit: int, multiline: bool = False) -> str:
    """A cell's text, trimmed; raises ValueError for control characters or more than ``limit`` characters."""
    value = value.strip()
    if _CONTROL.search(value) or (not multiline and _LINE_BREAK.search(value)):
        raise ValueError("使えない制御文字 (改行など) が含まれています")
    if len(value) > limit:
        raise ValueError(f"長すぎます ({len(value)} 文字、上限 {limit} 文字)")
    return value


def integer(value: str, minimum: int = 0, maximum: int = 999_999_999) -> int:
    """An integer cell; 全角 digits, thousands separators and a leading ¥ are accepted."""
    text = unicodedata.normalize("NFKC", value).strip().replace(",", "").lstrip("¥￥").removesuffix("円")
    if not text or not (text.isdigit() or (text[0] == "-" and text[1:].isdigit())) or not text.isascii():
        raise ValueError(f"'{value}' は整数ではありません")
    number = int(text)
    if number < minimum or number > maximum:
        raise ValueError(f"{number} は {minimum}〜{maximum:,} の範囲にしてください")
    return number


_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d")
_DATETIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M")


def parse_date(value: str) -> date:
    """A date cell: YYYY-MM-DD, YYYY/MM/DD or YYYYMMDD."""
    text = unicodedata.normalize("NFKC", value).strip()
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=JST).date()
        except ValueError:
            continue
    raise ValueError(f"'{value}' は日付 (YYYY-MM-DD) ではありません")


def parse_datetime(value: str) -> datetime:
    """A date-time cell, Japan time unless it carries an offset (ISO 8601); returned in UTC."""
    text = unicodedata.normalize("NFKC", value).strip()
    parsed: datetime | None = None
    for fmt in _DATETIME_FORMATS:
        try:
            parsed = datetime.strptime(text, fmt).replace(tzinfo=JST)
            break
        except ValueError:
            continue
    if parsed is None:
        try:
            parsed = datetime.fromisoformat(text) if "T" in text or "+" in text else None
        except ValueError:
            parsed = None
    if parsed is None:
        raise ValueError(f"'{value}' は日時 (YYYY-MM-DD HH:MM:SS) ではありません")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=JST)
    if not 2000 <= parsed.year <= 2100:
        raise ValueError(f"'{value}' は日時の範囲外です")
    return parsed.astimezone(UTC)


def flag(
    value: str,
    yes: Sequence[str] = ("1", "あり", "有", "yes", "true"),
    no: Sequence[str] = ("", "0", "なし", "無", "no", "false"),
) -> bool:
    """A yes/no cell (1/0, あり/なし)."""
    text = unicodedata.normalize("NFKC", value).strip().lower()
    if text in yes:
        return True
    if text in no:
        return False
    raise ValueError(f"'{value}' は 1 (あり) か 0 (なし) にしてください")
