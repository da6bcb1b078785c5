"""The order CSV reader: encodings, line ends, every kind of bad row, and fuzzing (it never crashes and never
keeps part of an order)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from juchu.csvio.order_layout import ALL_COLUMNS
from juchu.csvio.order_reader import read_orders
from juchu.csvio.text import decode
from juchu.domain.model import PaymentState

HEADER = list(ALL_COLUMNS)


def row(number: str = "A-1", **cells: object) -> list[str]:
    """A good row of order ``number``; ``cells`` override columns by Japanese name."""
    values = {
        "受注番号": number,
        "注文日時": "2026-11-26 10:00:00",
        "注文者氏名": "山田 太郎",
        "注文者カナ": "ヤマダ タロウ",
        "メールアドレス": "taro@example.jp",
        "注文者電話番号": "03-1234-5678",
        "決済方法": "銀行振込",
        "入金状態": "入金済",
        "送料": "500",
        "送付先氏名": "山田 花子",
        "送付先郵便番号": "1000001",
        "送付先都道府県": "東京都",
        "送付先市区町村": "千代田区",
        "送付先住所1": "千代田1-1",
        "配送方法": "宅配便",
        "お届け希望日": "2026/11/29",
        "お届け時間帯": "午前中",
        "商品ID": "item-a",
        "商品名": "りんご",
        "単価": "1,200",
        "数量": "2",
    }
    values.update({k: str(v) for k, v in cells.items()})
    return [values.get(name, "") for name in HEADER]


def continuation(number: str, **cells: object) -> list[str]:
    """A second line of order ``number``: order and destination columns left blank (inherited)."""
    values = {"受注番号": number, "商品ID": "item-z", "単価": "100", "数量": "1", **cells}
    return [str(values.get(name, "")) for name in HEADER]


def to_bytes(rows: list[list[str]], encoding: str = "utf-8", newline: str = "\r\n", header=HEADER) -> bytes:
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator=newline).writerows([header, *rows])
    return out.getvalue().encode(encoding)


@pytest.mark.parametrize(
    ("encoding", "newline"),
    [("cp932", "\r\n"), ("cp932", "\n"), ("utf-8", "\r\n"), ("utf-8", "\n"), ("utf-8-sig", "\r\n")],
)
def test_a_good_file_reads_the_same_in_every_encoding_and_line_end(encoding: str, newline: str) -> None:
    data = to_bytes([row(), row(商品ID="item-b", 単価="300", 数量="1")], encoding, newline)
    result = read_orders(data)
    assert result.errors == [] and result.rows == 2 and result.rows_of == {"A-1": [2, 3]}
    (order,) = result.orders
    assert order.mall_order_number == "A-1"
    assert order.ordered_at == datetime(2026, 11, 26, 1, 0, tzinfo=UTC)  # 10:00 JST
    assert order.payment_state is PaymentState.PAID
    assert (order.goods_total, order.postage, order.total) == (2700, 500, 3200)
    (package,) = order.packages
    assert package.requested_date == date(2026, 11, 29) and package.delivery_time == "午前中"
    assert [(line.mall_item_id, line.quantity, line.unit_price) for line in package.lines] == [
        ("item-a", 2, 1200),
        ("item-b", 1, 300),
    ]


def test_rows_with_another_destination_number_make_a_second_package() -> None:
    data = to_bytes([row(), row(送付先番号="2", 送付先氏名="佐藤 一郎", 商品ID="item-b")])
    (order,) = read_orders(data).orders
    assert [(p.mall_package_id, p.recipient_name) for p in order.packages] == [("1", "山田 花子"), ("2", "佐藤 一郎")]


@pytest.mark.parametrize(
    ("cells", "column", "reason"),
    [
        pytest.param({"注文日時": "26/11/2026"}, "注文日時", "日時", id="bad-datetime"),
        pytest.param({"数量": "0"}, "数量", "1〜99,999", id="zero-quantity"),
        pytest.param({"数量": "二"}, "数量", "整数ではありません", id="kanji-quantity"),
        pytest.param({"単価": "-5"}, "単価", "0〜", id="negative-price"),
        pytest.param({"商品ID": ""}, "商品ID", "必須です", id="no-item"),
        pytest.param({"送付先郵便番号": ""}, "送付先郵便番号", "必須です", id="no-postal-code"),
        pytest.param({"入金状態": "払った"}, "入金状態", "のどれか", id="unknown-payment-state"),
        pytest.param({"注文種別": "特売"}, "注文種別", "のどれか", id="unknown-order-type"),
        pytest.param({"ギフト": "たぶん"}, "ギフト", "1 (あり)", id="bad-flag"),
        pytest.param({"お届け希望日": "来週"}, "お届け希望日", "日付", id="bad-date"),
        pytest.param({"注文者氏名": "x" * 201}, "注文者氏名", "長すぎます", id="too-long"),
        pytest.param({"商品名": "a\x00b"}, "商品名", "制御文字", id="nul-character"),
        pytest.param({"送付先番号": "100"}, "送付先番号", "1〜99", id="package-number-out-of-range"),
    ],
)
def test_a_bad_row_rejects_its_whole_order_and_names_row_and_column(cells, column, reason) -> None:
    # given an order of two rows whose first row is bad (the second inherits its order columns), and a good one
    data = to_bytes([row("A-1", **cells), continuation("A-1", 送付先番号=cells.get("送付先番号", "")), row("B-2")])
    result = read_orders(data)
    # then the bad order is rejected whole, the good one kept, and the error says where and why
    assert [o.mall_order_number for o in result.orders] == ["B-2"]
    assert result.rejected == ["A-1"]
    assert [(e.row, e.column, e.order_number) for e in result.errors] == [(2, column, "A-1")]
    assert reason in result.errors[0].reason


def test_a_later_row_may_leave_order_columns_blank_but_not_contradict_them() -> None:
    blank = row("A-1", 注文日時="", 注文者氏名="", 決済方法="", 商品ID="item-b")
    contradicting = row("C-3", 注文者氏名="別人", 商品ID="item-b")
    result = read_orders(to_bytes([row("A-1"), blank, row("C-3"), contradicting]))
    assert [o.mall_order_number for o in result.orders] == ["A-1"]
    assert [(e.row, e.column) for e in result.errors] == [(5, "注文者氏名")]
    assert "4 行目の値 '山田 太郎' と違う値 '別人'" in result.errors[0].reason


def test_rows_without_an_order_number_or_with_extra_cells_are_reported() -> None:
    result = read_orders(to_bytes([row(""), [*row("D-4"), "余分"], row("E-5")]))
    assert [o.mall_order_number for o in result.orders] == ["E-5"]
    assert [(e.row, e.column) for e in result.errors] == [(2, "受注番号"), (3, "")]
    assert result.rejected == ["D-4"]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        pytest.param(b"", "ヘッダー行がありません", id="empty"),
        pytest.param("受注番号,商品ID\r\nA,b\r\n".encode(), "必須の列がありません", id="missing-columns"),
        pytest.param(b"\xff\xfe\x00\x00garbage\x81", "文字コード", id="undecodable"),
        pytest.param(to_bytes([row()])[:-2] + b',"unterminated', "CSVとして読めません", id="broken-quote"),
    ],
)
def test_an_unreadable_file_imports_nothing_and_says_why(data: bytes, reason: str) -> None:
    result = read_orders(data)
    assert result.orders == [] and len(result.errors) == 1 and result.errors[0].row >= 1
    assert reason in result.errors[0].reason


def test_a_repeated_column_name_rejects_the_file() -> None:
    result = read_orders(to_bytes([row()], header=[*HEADER[:-1], "受注番号"]))
    assert result.orders == [] and result.errors[0].column == "受注番号"


# -- fuzzing -------------------------------------------------------------------------------------------------

_cells = st.one_of(
    st.sampled_from(
        ["", "1", "0", "-1", "2026-11-26", "入金済", "１２", "x" * 300, "a,b", '"', "\n", "\x00", "é", "😀"]
    ),
    st.text(max_size=12),
)


@st.composite
def files(draw) -> tuple[bytes, dict[str, list[list[str]]]]:
    """Good rows of a few orders, some cells replaced by junk, in a random encoding and line end."""
    rows: list[list[str]] = []
    for n in range(draw(st.integers(1, 5))):
        for i in range(draw(st.integers(1, 3))):
            r = row(f"N-{n}", 商品ID=f"item-{i}", 送付先番号=draw(st.sampled_from(["", "1", "2"])))
            for _ in range(draw(st.integers(0, 2))):
                r[draw(st.integers(0, len(HEADER) - 1))] = draw(_cells)
            rows.append(r)
    draw(st.randoms()).shuffle(rows)
    by_number: dict[str, list[list[str]]] = {}
    for r in rows:
        by_number.setdefault(r[0].strip(), []).append(r)
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp932"]))
    newline = draw(st.sampled_from(["\r\n", "\n"]))
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator=newline).writerows([HEADER, *rows])
    return out.getvalue().encode(encoding, "replace"), by_number


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(files())
def test_fuzzed_files_never_crash_and_never_keep_part_of_an_order(sample) -> None:
    data, _rows = sample
    result = read_orders(data)
    numbers = [o.mall_order_number for o in result.orders]
    assert len(numbers) == len(set(numbers))
    assert not set(numbers) & set(result.rejected)
    records = list(csv.reader(io.StringIO(decode(data), newline="")))[1:]
    for order in result.orders:
        # every line of a kept order is one of its rows, and every one of its rows is a line
        mine = [r for r in records if r and r[0].strip() == order.mall_order_number]
        assert sum(len(p.lines) for p in order.packages) == len(mine) == len(result.rows_of[order.mall_order_number])
        assert all(line.quantity >= 1 and line.mall_item_id for p in order.packages for line in p.lines)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_arbitrary_bytes_never_crash_the_reader(data: bytes) -> None:
    result = read_orders(data)
    assert result.orders == [] or all(o.packages for o in result.orders)
