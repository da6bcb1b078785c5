"""Search terms (orders/search.py) and list cursors (orders/queries.py): pure functions, no database."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from juchu.orders.queries import FilterError, OrderFilter, decode_cursor, encode_cursor
from juchu.orders.search import TERM_LENGTH, normalise, query_terms, terms_for


def test_terms_cover_the_number_and_its_pieces_names_and_parts_phone_digits_and_email() -> None:
    terms = terms_for(
        "360238-20261126-00000042", ["佐藤 花子", "さとう はなこ"], ["03-1234-5678"], ["Hanako@Example.JP"]
    )

    assert {"360238-20261126-00000042", "360238", "20261126", "00000042"} <= terms
    assert {"佐藤花子", "佐藤", "花子", "サトウハナコ", "サトウ", "ハナコ"} <= terms
    assert "0312345678" in terms
    assert {"hanako@example.jp", "hanako"} <= terms


def test_full_width_and_half_width_compare_equal() -> None:
    assert normalise("ＡＢＣ１２３") == "abc123"
    assert normalise("ｻﾄｳ") == "サトウ"
    assert normalise("さとう") == "サトウ"


def test_a_phone_query_also_looks_for_its_digits_but_a_name_does_not() -> None:
    assert query_terms("03-1234-5678") == ["03-1234-5678", "0312345678"]
    assert query_terms("佐藤 花子") == ["佐藤花子"]
    assert query_terms("   ") == []


def test_short_phone_fragments_and_empty_values_make_no_terms() -> None:
    assert terms_for("", ["", "  "], ["12"], [""]) == set()


@given(st.text(max_size=300), st.lists(st.text(max_size=300), max_size=4))
def test_terms_are_never_empty_or_longer_than_the_column(number: str, names: list[str]) -> None:
    terms = terms_for(number, names, names, names)

    assert all(0 < len(t) <= TERM_LENGTH for t in terms)


def test_a_cursor_round_trips_its_datetime_and_id() -> None:
    when = datetime(2026, 11, 26, 1, 2, 3, tzinfo=UTC)

    assert decode_cursor(encode_cursor(when, 42)) == (when, 42, False)
    assert decode_cursor(encode_cursor(1200, 7, backwards=True)) == (1200, 7, True)


@pytest.mark.parametrize("cursor", ["", "!!!", "e30", "WzEsMl0"])
def test_a_broken_cursor_is_a_clear_filter_error(cursor: str) -> None:
    with pytest.raises(FilterError, match="cursor"):
        decode_cursor(cursor)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"tab": "nope"}, "tab"),
        ({"sort": "buyer"}, "sort"),
        ({"shop": "x"}, "shop"),
        ({"date_to": "2026/11/26"}, "date_to"),
    ],
)
def test_each_bad_filter_parameter_is_named(params: dict, message: str) -> None:
    with pytest.raises(FilterError, match=message):
        OrderFilter.from_params(params)


def test_a_date_outside_the_supported_years_is_refused_not_overflowed() -> None:
    with pytest.raises(FilterError, match="date_to"):
        OrderFilter.from_params({"date_to": "9999-12-31"})
    with pytest.raises(FilterError, match="date_from"):
        OrderFilter.from_params({"date_from": "0001-01-01"})


@pytest.mark.parametrize(
    ("value", "sort"),
    [("x", "-ordered_at"), (datetime(2026, 1, 1), "-ordered_at"), ("1000", "-total"), (True, "total")],
)
def test_a_cursor_of_the_wrong_type_for_its_sort_is_refused(value, sort: str) -> None:
    from juchu.orders.queries import cursor_for_sort

    raw = encode_cursor(value, 5)
    with pytest.raises(FilterError, match="cursor"):
        cursor_for_sort(raw, sort)
