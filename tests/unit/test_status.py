"""Order statuses (pipeline.md §1): the transition table, its enforcement, and the labels."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from juchu.domain.errors import IllegalTransition
from juchu.domain.status import TRANSITIONS, OrderStatus, check_transition, is_allowed

S = OrderStatus

#: The table of pipeline.md §1, written out independently of the code.
SPEC_MOVES: frozenset[tuple[OrderStatus, OrderStatus]] = frozenset(
    {
        (S.NEW, S.AWAITING_CHECK),
        (S.NEW, S.CHECKED),
        (S.NEW, S.CANCELLED),
        (S.AWAITING_CHECK, S.CHECKED),
        (S.AWAITING_CHECK, S.CANCELLED),
        (S.CHECKED, S.AWAITING_CHECK),
        (S.CHECKED, S.AWAITING_SHIPMENT),
        (S.CHECKED, S.CANCELLED),
        (S.AWAITING_SHIPMENT, S.SHIPPING),
        (S.AWAITING_SHIPMENT, S.AWAITING_CHECK),
        (S.AWAITING_SHIPMENT, S.CHECKED),
        (S.AWAITING_SHIPMENT, S.CANCELLED),
        (S.SHIPPING, S.PARTIALLY_SHIPPED),
        (S.SHIPPING, S.SHIPPED),
        (S.SHIPPING, S.AWAITING_CHECK),
        (S.SHIPPING, S.CANCELLED),
        (S.PARTIALLY_SHIPPED, S.SHIPPED),
        (S.PARTIALLY_SHIPPED, S.AWAITING_CHECK),
        (S.SHIPPED, S.COMPLETED),
    }
)

ALL_PAIRS = list(itertools.product(OrderStatus, OrderStatus))
LEGAL = [pytest.param(a, b, id=f"{a.value}->{b.value}") for a, b in ALL_PAIRS if (a, b) in SPEC_MOVES]
ILLEGAL = [pytest.param(a, b, id=f"{a.value}->{b.value}") for a, b in ALL_PAIRS if (a, b) not in SPEC_MOVES]


def test_transition_table_equals_the_spec_table() -> None:
    table = {(a, b) for a, targets in TRANSITIONS.items() for b in targets}
    assert table == SPEC_MOVES
    assert set(TRANSITIONS) == set(OrderStatus)


def test_exhaustive_pairs_split_into_19_legal_and_62_illegal() -> None:
    assert (len(LEGAL), len(ILLEGAL)) == (19, 81 - 19)


@pytest.mark.parametrize(("source", "target"), LEGAL)
def test_every_legal_move_is_allowed_and_does_not_raise(source: OrderStatus, target: OrderStatus) -> None:
    assert is_allowed(source, target) is True
    assert check_transition(source, target) is None


@pytest.mark.parametrize(("source", "target"), ILLEGAL)
def test_every_other_pair_raises_illegal_transition(source: OrderStatus, target: OrderStatus) -> None:
    assert is_allowed(source, target) is False
    with pytest.raises(IllegalTransition) as raised:
        check_transition(source, target)
    assert (raised.value.source, raised.value.target) == (source.value, target.value)
    assert str(raised.value) == f"illegal status move {source.value} -> {target.value}"


@pytest.mark.parametrize("status", [S.COMPLETED, S.CANCELLED], ids=lambda s: s.value)
def test_final_statuses_have_no_move_out(status: OrderStatus) -> None:
    assert status.is_final is True
    assert TRANSITIONS[status] == frozenset()


@pytest.mark.parametrize("status", [s for s in OrderStatus if not s.is_final], ids=lambda s: s.value)
def test_non_final_statuses_have_a_move_out(status: OrderStatus) -> None:
    assert TRANSITIONS[status] != frozenset()


@given(st.sampled_from(list(OrderStatus)), st.lists(st.sampled_from(list(OrderStatus)), max_size=30))
def test_random_move_sequences_never_leave_the_table(start: OrderStatus, targets: list[OrderStatus]) -> None:
    current = start
    for target in targets:
        try:
            check_transition(current, target)
        except IllegalTransition:
            assert target not in TRANSITIONS[current]
        else:
            assert target in TRANSITIONS[current]
            assert (current, target) in SPEC_MOVES
            current = target


LABELS = [
    pytest.param(S.NEW, "新規受付", id="new"),
    pytest.param(S.AWAITING_CHECK, "確認待", id="awaiting_check"),
    pytest.param(S.CHECKED, "確認済", id="checked"),
    pytest.param(S.AWAITING_SHIPMENT, "出荷待ち", id="awaiting_shipment"),
    pytest.param(S.SHIPPING, "出荷作業中", id="shipping"),
    pytest.param(S.PARTIALLY_SHIPPED, "一部出荷済", id="partially_shipped"),
    pytest.param(S.SHIPPED, "全出荷済", id="shipped"),
    pytest.param(S.COMPLETED, "完了", id="completed"),
    pytest.param(S.CANCELLED, "キャンセル", id="cancelled"),
]


@pytest.mark.parametrize(("status", "label"), LABELS)
def test_every_status_has_the_spec_japanese_label(status: OrderStatus, label: str) -> None:
    assert status.label_ja == label
    assert status.label_en
    assert status.colour


def test_label_table_covers_every_status() -> None:
    assert len(LABELS) == len(OrderStatus) == 9
