"""One-line Japanese addresses (au PAY, Qoo10) split into prefecture, municipality and the rest."""

from __future__ import annotations

import pytest

from juchu.connectors.addresses import split_address


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("東京都千代田区丸の内1-1-1", ("東京都", "千代田区", "丸の内1-1-1")),
        ("北海道札幌市中央区北1条西2丁目", ("北海道", "札幌市中央区", "北1条西2丁目")),
        ("北海道虻田郡倶知安町北1条東1丁目", ("北海道", "虻田郡倶知安町", "北1条東1丁目")),
        ("福島県郡山市朝日1-23-7", ("福島県", "郡山市", "朝日1-23-7")),
        ("京都府京都市下京区四条通1", ("京都府", "京都市下京区", "四条通1")),
        ("  沖縄県那覇市泉崎1-2-2 ", ("沖縄県", "那覇市", "泉崎1-2-2")),
        ("東京都", ("東京都", "", "")),
        ("Somewhere 1-2-3", ("", "", "Somewhere 1-2-3")),
    ],
)
def test_an_address_splits_at_the_prefecture_and_the_municipality(text: str, parts: tuple[str, str, str]) -> None:
    assert split_address(text) == parts
