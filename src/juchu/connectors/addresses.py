"""Japanese addresses given on one line (au PAY, Qoo10): split into prefecture, municipality and the rest."""

from __future__ import annotations

import re

#: The 47 prefectures, matched exactly at the start of an address.
PREFECTURES = (
    "北海道",
    "青森県",
    "岩手県",
    "宮城県",
    "秋田県",
    "山形県",
    "福島県",
    "茨城県",
    "栃木県",
    "群馬県",
    "埼玉県",
    "千葉県",
    "東京都",
    "神奈川県",
    "新潟県",
    "富山県",
    "石川県",
    "福井県",
    "山梨県",
    "長野県",
    "岐阜県",
    "静岡県",
    "愛知県",
    "三重県",
    "滋賀県",
    "京都府",
    "大阪府",
    "兵庫県",
    "奈良県",
    "和歌山県",
    "鳥取県",
    "島根県",
    "岡山県",
    "広島県",
    "山口県",
    "徳島県",
    "香川県",
    "愛媛県",
    "高知県",
    "福岡県",
    "佐賀県",
    "長崎県",
    "熊本県",
    "大分県",
    "宮崎県",
    "鹿児島県",
    "沖縄県",
)
#: The municipality at the start of an address after the prefecture: 政令市の区, 郡の町村, or 市区町村.
_CITY = re.compile(r"(.+?市.+?区|.+?郡.+?[町村]|.+?[市区町村])")


def split_address(text: str) -> tuple[str, str, str]:
    """``東京都千代田区丸の内1-1`` → (prefecture, municipality, the rest).

    The prefecture is matched exactly; the municipality by pattern (a ward of a designated city, a town or
    village of a district, else up to the first 市/区/町/村). Without a known prefecture the whole text stays in
    the last part (and Juchu's address check stops the order).
    """
    text = text.strip()
    for prefecture in PREFECTURES:
        if text.startswith(prefecture):
            rest = text[len(prefecture) :].strip()
            match = _CITY.match(rest)
            if match is None:
                return prefecture, "", rest
            return prefecture, match.group(1), rest[match.end() :].strip()
    return "", "", text
