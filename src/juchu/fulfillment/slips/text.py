"""Text rules the carriers' import screens share: CP932 widths, digits-only numbers, kana and line splitting.

Carriers count a column's room in CP932 bytes: a half-width character is 1, a full-width one 2 (their
manuals say "全角16文字/半角32文字"). Every width here is in those bytes.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Sequence

import jaconv

#: What the carriers print for a character CP932 cannot hold (the geta mark, as the order export does).
GETA = "〓"
_PHONE_NOISE = re.compile(r"[\s\-‐‑‒–—―−ー－()（）.]")
_HALF_KANA = re.compile(r"[\uff61-\uff9f A-Za-z0-9().\-]*")


def width(text: str) -> int:
    """The room ``text`` takes in CP932 bytes; a character CP932 lacks counts as the geta mark (2)."""
    total = 0
    for ch in text:
        try:
            total += len(ch.encode("cp932"))
        except UnicodeEncodeError:
            total += 2
    return total


def to_cp932(text: str) -> tuple[str, str]:
    """``text`` with every character CP932 lacks replaced by 〓, and the characters replaced."""
    kept, lost = [], []
    for ch in text:
        try:
            ch.encode("cp932")
            kept.append(ch)
        except UnicodeEncodeError:
            kept.append(GETA)
            lost.append(ch)
    return "".join(kept), "".join(lost)


def truncate(text: str, limit: int) -> str:
    """The longest head of ``text`` that fits ``limit`` bytes, never cutting a character in two."""
    out, used = [], 0
    for ch in text:
        size = width(ch)
        if used + size > limit:
            break
        out.append(ch)
        used += size
    return "".join(out)


def phone_digits(value: str) -> str:
    """A Japanese phone number as digits only ("+81 90-1234-5678" → "09012345678"); raises ValueError."""
    text = _PHONE_NOISE.sub("", unicodedata.normalize("NFKC", value).strip())
    if text.startswith("+81"):
        text = "0" + text[3:]
    if not text:
        raise ValueError("電話番号がありません")
    if not (text.isascii() and text.isdigit()) or not 10 <= len(text) <= 11 or not text.startswith("0"):
        raise ValueError(f"電話番号 '{value}' は 0 で始まる10〜11桁の番号ではありません")
    return text


def postal_digits(value: str) -> str:
    """A postal code as seven digits ("〒100-0001" → "1000001"); raises ValueError."""
    text = _PHONE_NOISE.sub("", unicodedata.normalize("NFKC", value).strip()).lstrip("〒")
    if not text:
        raise ValueError("郵便番号がありません")
    if not (text.isascii() and text.isdigit()) or len(text) != 7:
        raise ValueError(f"郵便番号 '{value}' は7桁ではありません")
    return text


def half_kana(value: str) -> str:
    """Katakana (or hiragana) as half-width katakana ("ヤマダ タロウ" → "ﾔﾏﾀﾞ ﾀﾛｳ"); raises ValueError."""
    text = jaconv.hira2kata(unicodedata.normalize("NFKC", value).strip())
    text = jaconv.z2h(text, kana=True, ascii=True, digit=True).replace("\u3000", " ")
    text = re.sub(r" {2,}", " ", text)
    if not _HALF_KANA.fullmatch(text):
        bad = "".join(sorted({ch for ch in text if not _HALF_KANA.fullmatch(ch)}))
        raise ValueError(f"カナ以外の文字 '{bad}' が含まれています")
    return text


def full_width(value: str) -> str:
    """Half-width letters, digits, symbols and kana as full-width ("1-2-3 ﾋﾞﾙ" → "１－２－３　ビル")."""
    return jaconv.h2z(value, kana=True, ascii=True, digit=True)


def one_line(value: str) -> str:
    """The text on one line, trimmed: line breaks and tabs become single spaces."""
    return re.sub(r"[\s\u3000]*[\r\n\t]+[\s\u3000]*", " ", value).strip()


def flow(groups: Sequence[str], widths: Sequence[int], sep: str = " ") -> list[str] | None:
    """Place address parts on the layout's lines, or None when they do not fit.

    Each group keeps a line of its own when every group fits its line (e.g. 住所 / 建物名). Otherwise the
    text (groups joined by ``sep``) is poured line by line, breaking at a space near the end of a line,
    else at a character; nothing is ever dropped.
    """
    parts = [g.strip() for g in groups]
    if len([p for p in parts if p]) <= len(widths):
        placed = [p for p in parts if p] if len(parts) > len(widths) else parts
        if all(width(p) <= w for p, w in zip(placed, widths, strict=False)):
            return [*placed, *[""] * (len(widths) - len(placed))]
    rest = sep.join(p for p in parts if p)
    lines: list[str] = []
    for limit in widths:
        head = truncate(rest, limit)
        if len(head) < len(rest):
            cut = max(head.rfind(" "), head.rfind("\u3000"))
            if cut >= len(head) * 2 // 3:
                head = head[:cut]
        lines.append(head.strip())
        rest = rest[len(head) :].strip()
    return lines if not rest else None


def csv_bytes(rows: Iterable[Sequence[str]]) -> bytes:
    """CP932 CSV with CRLF line ends; the values must already hold only CP932 characters."""
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode("cp932")
