"""Update tasks (更新タスク) and their automatic rules, decided purely: validation, plans and rule matching."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from juchu.domain.errors import RuleError
from juchu.domain.model import Address, Line, OrderSnapshot, OrderType, Package
from juchu.domain.rules import Condition, Match, Operator
from juchu.domain.status import OrderStatus
from juchu.domain.task_plan import Field, TaskCatalog, TaskOrder, TaskPackage, plan_task
from juchu.domain.task_rules import TaskRule, leaving_new, preview_task_rule, rules_to_run, validate_task_rule
from juchu.domain.update_tasks import (
    MALL_WRITABLE,
    MAX_ACTIONS,
    ActionKind,
    TaskAction,
    TaskError,
    TaskRefused,
    UpdateTask,
    action_problems,
    task_problems,
    validate_task,
)

K = ActionKind
S = OrderStatus
NOW = datetime(2026, 11, 26, 1, 0, tzinfo=UTC)
CATALOG = TaskCatalog(skus=frozenset({"NOV-1", "SKU-A"}), warehouses={"rsl": "RSL", "own": "自社倉庫"})


def order(status: S = S.NEW, *, packages: int = 1, **fields: object) -> TaskOrder:
    base: dict[str, object] = {
        "id": 1,
        "status": status,
        "postage": 0,
        "total": 3000,
        "warehouse_code": "rsl",
        "packages": tuple(TaskPackage(10 + i, i + 1, "宅配便") for i in range(packages)),
    }
    return TaskOrder(**{**base, **fields})  # type: ignore[arg-type]


def task(*actions: TaskAction, name: str = "北海道送料") -> UpdateTask:
    return UpdateTask(id=7, name=name, actions=actions)


# -- validation --------------------------------------------------------------------------------------------


def test_a_task_of_thirty_actions_is_valid_and_thirty_one_are_refused() -> None:
    memo = TaskAction.of(K.SET_MEMO, text="確認")

    validate_task(task(*[memo] * MAX_ACTIONS))
    with pytest.raises(TaskError, match="アクションは30個までです \\(31個あります\\)"):
        validate_task(task(*[memo] * (MAX_ACTIONS + 1)))


def test_a_task_needs_a_name_and_an_action() -> None:
    assert task_problems(UpdateTask(id=0, name=" ", actions=())) == [
        "タスク名を入力してください",
        "アクションを1つ以上追加してください",
    ]


@pytest.mark.parametrize(
    ("action", "problems"),
    [
        (
            TaskAction.of(K.ADD_POSTAGE, amount="五百"),
            {"amount": "金額 (円、マイナスで減算)は整数で入力してください (「五百」)"},
        ),
        (TaskAction.of(K.ADD_POSTAGE), {"amount": "金額 (円、マイナスで減算)を入力してください"}),
        (TaskAction.of(K.ADD_NOVELTY, sku="NOV-1", quantity=0), {"quantity": "数量は1以上999以下にしてください"}),
        (TaskAction.of(K.SET_DELIVERY_METHOD), {"method": "配送方法を入力してください"}),
        (
            TaskAction.of(K.ADD_TAG, code="ギフト"),
            {"code": "タグコードは半角英数・ハイフン・アンダースコアで入力してください (「ギフト」)"},
        ),
        (
            TaskAction.of(K.REMOVE_TAG, code="unmapped_item"),
            {"code": "「unmapped_item」はシステムタグです。システムタグは原因が解消すると自動で外れます"},
        ),
        (
            TaskAction.of(K.SET_MEMO, text="x", mode="prepend"),
            {"mode": "書き方「prepend」は選択肢にありません: append(追記)、replace(上書き)"},
        ),
        (TaskAction.of(K.SET_DELIVERY_TIME), {}),
        (TaskAction.of(K.ADD_TAG, code="vip", hold=True), {}),
    ],
)
def test_each_parameter_is_checked_for_its_kind(action: TaskAction, problems: dict[str, str]) -> None:
    assert action_problems(action) == problems


def test_the_mall_write_flag_cannot_be_set_where_juchu_has_no_mall_write() -> None:
    action = TaskAction.of(K.SET_DELIVERY_METHOD, mall_write=True, method="メール便")

    assert not MALL_WRITABLE
    assert action_problems(action) == {
        "mall_write": "配送方法の変更はモール反映なしです (Juchu はこの項目をモールへ書き込めません)"
    }


def test_the_problems_name_the_action_row() -> None:
    problems = task_problems(task(TaskAction.of(K.SET_MEMO, text="ok"), TaskAction.of(K.ADD_POSTAGE, amount="abc")))

    assert problems == ["アクション 2 (送料を加算): 金額 (円、マイナスで減算)は整数で入力してください (「abc」)"]


# -- plans -------------------------------------------------------------------------------------------------


def test_postage_is_added_to_postage_and_total_and_two_additions_add_up() -> None:
    plan = plan_task(
        task(TaskAction.of(K.ADD_POSTAGE, amount=500), TaskAction.of(K.ADD_POSTAGE, amount=300)),
        order(postage=100, total=3100),
        CATALOG,
    )

    assert [(c.field, c.value) for c in plan.changes] == [
        (Field.POSTAGE, 600),
        (Field.TOTAL, 3600),
        (Field.POSTAGE, 900),
        (Field.TOTAL, 3900),
    ]
    assert plan.timeline() == {"送料": ["100円", "900円"], "合計金額": ["3,100円", "3,900円"]}
    assert plan.summary() == "送料: 100円 → 900円、合計金額: 3,100円 → 3,900円"


def test_postage_that_would_become_negative_refuses_the_order() -> None:
    with pytest.raises(TaskRefused, match="アクション 1 \\(送料を加算\\): 送料が -200円 になります"):
        plan_task(task(TaskAction.of(K.ADD_POSTAGE, amount=-500)), order(postage=300), CATALOG)


def test_a_delivery_method_change_touches_every_package_and_names_each() -> None:
    plan = plan_task(task(TaskAction.of(K.SET_DELIVERY_METHOD, method="メール便")), order(packages=2), CATALOG)

    assert [(c.package_id, c.label, c.before, c.after) for c in plan.changes] == [
        (10, "送付先1 配送方法", "宅配便", "メール便"),
        (11, "送付先2 配送方法", "宅配便", "メール便"),
    ]
    assert plan.affects_shipment and not plan.needs_reallocation


def test_an_action_that_changes_nothing_is_no_change() -> None:
    plan = plan_task(
        task(TaskAction.of(K.SET_DELIVERY_METHOD, method="宅配便"), TaskAction.of(K.REMOVE_TAG, code="vip")),
        order(),
        CATALOG,
    )

    assert plan.changes == ()
    assert plan.summary() == "変更なし"


def test_a_novelty_line_goes_to_the_first_package_at_price_zero() -> None:
    plan = plan_task(task(TaskAction.of(K.ADD_NOVELTY, sku="NOV-1", quantity=2)), order(packages=2), CATALOG)

    (change,) = plan.changes
    assert (change.field, change.value, change.quantity, change.package_id) == (Field.LINE_ADDED, "NOV-1", 2, 10)
    assert change.after == "NOV-1 × 2 (0円)"
    assert plan.needs_reallocation


def test_an_unknown_sku_refuses_the_order_naming_the_action() -> None:
    memo = TaskAction.of(K.SET_MEMO, text="ノベルティ")
    novelty = TaskAction.of(K.ADD_NOVELTY, sku="NOPE", quantity=1)

    with pytest.raises(TaskRefused, match=r"^アクション 2 \(ノベルティ追加\): SKU「NOPE」は登録されていません$"):
        plan_task(task(memo, novelty), order(), CATALOG)


def test_a_memo_is_appended_or_replaced() -> None:
    append = plan_task(task(TaskAction.of(K.SET_MEMO, text="同梱あり")), order(memo="電話済"), CATALOG)
    replace = plan_task(task(TaskAction.of(K.SET_MEMO, text="同梱あり", mode="replace")), order(memo="電話済"), CATALOG)

    assert append.changes[0].value == "電話済\n同梱あり"
    assert replace.changes[0].value == "同梱あり"
    assert not append.affects_shipment


def test_the_warehouse_is_switched_by_code_and_an_unknown_one_is_refused() -> None:
    plan = plan_task(task(TaskAction.of(K.SWITCH_WAREHOUSE, warehouse="own")), order(), CATALOG)

    assert [(c.field, c.before, c.after, c.value) for c in plan.changes] == [
        (Field.WAREHOUSE, "RSL", "自社倉庫", "own")
    ]
    with pytest.raises(TaskRefused, match="倉庫「tokyo」は登録されていません"):
        plan_task(task(TaskAction.of(K.SWITCH_WAREHOUSE, warehouse="tokyo")), order(), CATALOG)


def test_a_tag_is_attached_unless_present_and_a_rule_never_attaches_a_removed_one() -> None:
    add = task(TaskAction.of(K.ADD_TAG, code="vip", hold=True))

    by_hand = plan_task(add, order(removed_tags=frozenset({"vip"})), CATALOG)
    by_rule = plan_task(add, order(removed_tags=frozenset({"vip"})), CATALOG, automatic=True)
    present = plan_task(add, order(tags=frozenset({"vip"})), CATALOG)

    assert [(c.field, c.value, c.hold) for c in by_hand.changes] == [(Field.TAG_ADDED, "vip", True)]
    assert by_rule.changes == () and present.changes == ()


@pytest.mark.parametrize("status", [S.SHIPPING, S.PARTIALLY_SHIPPED, S.SHIPPED, S.COMPLETED, S.CANCELLED])
def test_an_order_the_warehouse_accepted_is_refused(status: S) -> None:
    with pytest.raises(TaskRefused, match=f"^{status.label_ja} の受注は変更できません"):
        plan_task(task(TaskAction.of(K.SET_MEMO, text="x")), order(status), CATALOG)


@pytest.mark.parametrize("status", [S.NEW, S.AWAITING_CHECK, S.CHECKED, S.AWAITING_SHIPMENT])
def test_every_editable_status_is_changed(status: S) -> None:
    plan = plan_task(task(TaskAction.of(K.SET_MEMO, text="x")), order(status), CATALOG)

    assert len(plan.changes) == 1


def test_an_invalid_task_is_refused_before_the_order_is_looked_at() -> None:
    with pytest.raises(TaskError, match="アクション 1 \\(送料を加算\\)"):
        plan_task(task(TaskAction.of(K.ADD_POSTAGE, amount="x")), order(S.SHIPPED), CATALOG)


# -- automatic rules ---------------------------------------------------------------------------------------


def snapshot(prefecture: str = "北海道", *, status: S = S.NEW, shop_id: int = 1, **fields: object) -> OrderSnapshot:
    package = Package(
        id=10,
        recipient_name="山田",
        address=Address("0600001", prefecture),
        delivery_method="宅配便",
        lines=(Line(id=100, mall_item_id="item-a", quantity=1, unit_price=3000, product_code="SKU-A"),),
    )
    base: dict[str, object] = {
        "id": 1,
        "version": 1,
        "shop_id": shop_id,
        "mall": "rakuten",
        "mall_order_number": "100-1",
        "status": status,
        "ordered_at": NOW,
        "packages": (package,),
        "payment_method": "クレジットカード",
        "total": 3000,
    }
    return OrderSnapshot(**{**base, **fields})  # type: ignore[arg-type]


def rule(rule_id: int, *conditions: Condition, **fields: object) -> TaskRule:
    return TaskRule(id=rule_id, name=f"ルール{rule_id}", task_id=7, conditions=conditions, **fields)  # type: ignore[arg-type]


HOKKAIDO = Condition("prefecture", Operator.IN, "北海道,沖縄県")
OVER_3000 = Condition("total", Operator.GE, "3000")


def test_matching_active_rules_run_in_rule_order_and_a_rule_that_ran_is_skipped() -> None:
    rules = [
        rule(1, HOKKAIDO),
        rule(2, OVER_3000),
        rule(3, HOKKAIDO, enabled=False),
        rule(4, Condition("prefecture", Operator.EQ, "東京都")),
        rule(5, OVER_3000, shop_id=2),
    ]

    assert [r.id for r in rules_to_run(rules, snapshot(), frozenset())] == [1, 2]
    assert [r.id for r in rules_to_run(rules, snapshot(), frozenset({1}))] == [2]
    assert [r.id for r in rules_to_run(rules, snapshot(shop_id=2), frozenset({1, 2}))] == [5]


def test_a_rule_with_any_matches_when_one_condition_holds() -> None:
    any_rule = rule(1, Condition("prefecture", Operator.EQ, "沖縄県"), OVER_3000, match=Match.ANY)

    assert [r.id for r in rules_to_run([any_rule], snapshot("東京都"), frozenset())] == [1]


def test_a_rule_needs_a_condition_and_a_valid_one() -> None:
    with pytest.raises(RuleError, match="自動ルール「ルール1」: 条件がありません"):
        validate_task_rule(rule(1))
    with pytest.raises(RuleError, match="整数ではありません"):
        validate_task_rule(rule(1, Condition("total", Operator.GE, "三千")))


def test_an_order_leaves_new_when_its_grace_is_over_or_it_is_not_a_normal_order() -> None:
    grace = timedelta(minutes=30)

    assert not leaving_new(snapshot(), grace, NOW + timedelta(minutes=29))
    assert leaving_new(snapshot(), grace, NOW + timedelta(minutes=30))
    assert leaving_new(snapshot(order_type=OrderType.RESERVATION), grace, NOW)
    assert not leaving_new(snapshot(mall_cancelled=True), grace, NOW + grace)
    assert not leaving_new(snapshot(status=S.CHECKED), grace, NOW + grace)


def test_the_preview_lists_the_orders_the_conditions_match() -> None:
    orders = [snapshot("北海道", id=1), snapshot("東京都", id=2), snapshot("沖縄県", id=3, status=S.SHIPPED)]

    assert [o.id for o in preview_task_rule(rule(1, HOKKAIDO), orders)] == [1, 3]
