"""Carriers by Rakuten carrier code (配送会社コード), with the page where a buyer tracks a parcel."""

from __future__ import annotations

from urllib.parse import quote

_JAPAN_POST = "https://trackings.post.japanpost.jp/services/srv/search/direct?reqCodeNo1={number}"
_YAMATO = "https://jizen.kuronekoyamato.co.jp/jizen/servlet/crjz.b.NQ0010?id={number}"
_SAGAWA = "https://k2k.sagawa-exp.co.jp/p/web/okurijosearch.do?okurijoNo={number}"

#: code → (name, tracking URL pattern or "")
CARRIERS: dict[str, tuple[str, str]] = {
    "1000": ("その他", ""),
    "1001": ("ヤマト運輸", _YAMATO),
    "1002": ("佐川急便", _SAGAWA),
    "1003": ("日本郵便", _JAPAN_POST),
    "1029": ("日本郵便 楽天倉庫出荷", _JAPAN_POST),
}


def carrier_name(code: str, given: str = "") -> str:
    """The carrier's name: the one the warehouse gave, else the one its code stands for, else the code."""
    return given or CARRIERS.get(code, (code, ""))[0]


def tracking_url(code: str, tracking_number: str) -> str:
    """The page where the buyer follows this parcel, or "" when the carrier has none known to Juchu."""
    pattern = CARRIERS.get(code, ("", ""))[1]
    digits = tracking_number.replace("-", "").strip()
    return pattern.format(number=quote(digits)) if pattern and digits else ""
