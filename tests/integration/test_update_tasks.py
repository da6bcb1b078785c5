"""Update tasks (更新タスク) and automatic rules (自動ルール) against the database, the pipeline and the screens.

Each test drives the fakes and a hand-moved clock; it never sleeps. Each sweep pass is ``run_all(now)``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse

from juchu.catalog.models import Product, Stock
from juchu.domain.status import OrderStatus
from juchu.domain.update_tasks import TaskError
from juchu.fulfillment.models import Warehouse
from juchu.orders import task_actions, task_rule_runs
from juchu.orders import update_tasks as services
from juchu.orders.context import SweepContext
from juchu.orders.models import Order, OrderEvent, OrderLine, OrderTag, TaskRule, TaskRuleRun, UpdateTask
from juchu.orders.snapshots import load_snapshots
from juchu.runtime.models import Lease
from juchu.runtime.sweeps import run_all, run_stage
from juchu.web.auth import Role, create_user
from tests.integration.conftest import Clock, mall_order

S = OrderStatus
PASSWORD = "Juchu-tasks-pass-2026"

# -- helpers -----------------------------------------------------------------------------------------------


def sweep(clock: Clock, **delta: float) -> None:
    """One pass of every sweep after moving the clock; a sweep that failed fails the test."""
    run_all(clock.advance(**delta))
    errors = {lease.stage: lease.last_error for lease in Lease.objects.exclude(last_error="")}
    assert not errors, errors


def order_of(number: str) -> Order:
    return Order.objects.get(mall_order_number=number)


def tags_of(number: str) -> set[str]:
    return set(OrderTag.objects.filter(order=order_of(number)).values_list("code", flat=True))


def place(mall, clock: Clock, number: str, *, method: str = "宅配便", **fields: Any) -> None:
    """A buyer places an order; it is imported and waits out the grace period (新規受付)."""
    placed = mall_order(number, clock.now, **fields)
    placed = replace(placed, packages=tuple(replace(p, delivery_method=method) for p in placed.packages))
    mall.put(placed, clock.now)
    sweep(clock, seconds=1)
    assert order_of(number).status == S.NEW.value


def checked(mall, clock: Clock, *numbers: str, **fields: Any) -> None:
    """Orders paid by bank transfer, not yet paid: they wait in 確認済 (入金待ち)."""
    for number in numbers:
        place(mall, clock, number, payment="銀行振込", paid=False, **fields)
    sweep(clock, minutes=31)
    for number in numbers:
        assert order_of(number).status == S.CHECKED.value, order_of(number).explanation


def make_task(name: str, *actions: dict[str, Any]) -> UpdateTask:
    return UpdateTask.objects.create(name=name, actions=list(actions))


def act(kind: str, mall_write: bool = False, **params: Any) -> dict[str, Any]:
    return {"kind": kind, "params": {k: str(v) for k, v in params.items()}, "mall_write": mall_write}


def make_rule(name: str, task: UpdateTask, *conditions: tuple[str, str, str], **fields: Any) -> TaskRule:
    rows = [{"field": f, "op": op, "value": v} for f, op, v in conditions]
    return TaskRule.objects.create(name=name, task=task, conditions=rows, **fields)


def client_as(role: Role, name: str = "") -> Client:
    client = Client()
    client.force_login(create_user(name or f"user-{role.code}", PASSWORD, role))
    return client


def page(response) -> str:
    return response.content.decode()


def task_events(number: str) -> list[OrderEvent]:
    return list(OrderEvent.objects.filter(order=order_of(number), kind="update_task").order_by("id"))


@pytest.fixture
def novelty(world) -> Product:
    product = Product.objects.create(code="NOV-1", name="ノベルティ手ぬぐい")
    Stock.objects.create(warehouse=world["warehouse"], product=product, on_hand=1000)
    return product


# -- run on selected orders --------------------------------------------------------------------------------


def test_a_task_run_on_selected_orders_changes_their_fields_and_writes_the_timeline(world, fakes, clock, novelty):
    mall, _ = fakes
    checked(mall, clock, "700-1", "700-2")
    task = make_task(
        "北海道送料とノベルティ",
        act("add_postage", amount=500),
        act("add_novelty", sku="NOV-1", quantity=2),
        act("set_memo", text="ノベルティ同梱", mode="append"),
    )
    ids = [order_of("700-1").pk, order_of("700-2").pk]

    response = client_as(Role.OPERATOR, "sousa").post(
        reverse("order-bulk"), {"action": "run_task", "task": task.pk, "ids": ids}, follow=True
    )

    assert "2 件の受注に更新タスク「北海道送料とノベルティ」を実行しました" in page(response)
    for number in ("700-1", "700-2"):
        order = order_of(number)
        assert (order.postage, order.total, order.memo) == (500, 1700, "ノベルティ同梱")
        novelty_line = OrderLine.objects.get(order=order, product=novelty)
        assert (novelty_line.quantity, novelty_line.unit_price, novelty_line.seq) == (2, 0, 2)
        (event,) = task_events(number)
        assert event.actor == "sousa"
        assert event.reason == "更新タスク「北海道送料とノベルティ」を実行しました"
        assert event.detail["task_name"] == "北海道送料とノベルティ"
        assert event.detail["changes"] == {
            "送料": ["0円", "500円"],
            "合計金額": ["1,200円", "1,700円"],
            "明細追加 NOV-1": ["(なし)", "NOV-1 × 2 (0円)"],
            "メモ": ["(なし)", "ノベルティ同梱"],
        }
        assert [a["mall_write"] for a in event.detail["actions"]] == [False, False, False, False]
        assert order.status == S.CHECKED.value
    detail = page(client_as(Role.VIEWER).get(reverse("order-detail", args=[ids[0]])))
    assert "更新タスク「北海道送料とノベルティ」を実行しました" in detail and "送料: 0円 → 500円" in detail


def test_each_order_succeeds_or_fails_on_its_own_with_its_number_and_reason(world, fakes, clock, novelty):
    mall, _ = fakes
    checked(mall, clock, "701-1")
    place(mall, clock, "701-2")  # paid by card: it goes to the warehouse on the next pass
    sweep(clock, minutes=31)
    assert order_of("701-2").status == S.SHIPPING.value
    task = make_task("メモ", act("set_memo", text="要確認"))
    shipping_version = order_of("701-2").version

    response = client_as(Role.OPERATOR).post(
        reverse("order-bulk"),
        {"action": "run_task", "task": task.pk, "ids": [order_of("701-1").pk, order_of("701-2").pk]},
        follow=True,
    )

    html = page(response)
    assert "1 件の受注に更新タスク「メモ」を実行しました" in html
    assert "701-2: 出荷作業中 の受注は変更できません (倉庫が出荷依頼を受け付けた後です)" in html
    assert order_of("701-1").memo == "要確認"
    assert (order_of("701-2").memo, order_of("701-2").version) == ("", shipping_version)
    assert task_events("701-2") == []


def test_an_unknown_novelty_sku_refuses_the_order_and_changes_nothing(world, fakes, clock):
    mall, _ = fakes
    checked(mall, clock, "702-1")
    task = make_task("ノベルティ", act("add_postage", amount=100), act("add_novelty", sku="NOPE", quantity=1))
    before = order_of("702-1")

    response = client_as(Role.OPERATOR).post(
        reverse("order-bulk"), {"action": "run_task", "task": task.pk, "ids": [before.pk]}, follow=True
    )

    assert "702-1: アクション 2 (ノベルティ追加): SKU「NOPE」は登録されていません" in page(response)
    after = order_of("702-1")
    assert (after.postage, after.version, after.lines.count()) == (0, before.version, 1)
    assert task_events("702-1") == []


def test_thirty_one_actions_are_refused_by_the_editor_and_by_the_service(world):
    admin = client_as(Role.ADMIN)
    rows = {"name": "多すぎ", "description": "", "actions-TOTAL_FORMS": "31", "actions-INITIAL_FORMS": "0"}
    for i in range(31):
        rows.update({f"actions-{i}-kind": "set_memo", f"actions-{i}-text": f"メモ{i}", f"actions-{i}-ORDER": i + 1})

    response = admin.post(reverse("settings-task-new"), rows)

    assert response.status_code == 200
    assert "アクションは30個までです (31個あります)" in page(response)
    assert not UpdateTask.objects.exists()
    memo = services.task_from_row(UpdateTask(name="x", actions=[act("set_memo", text="x")])).actions[0]
    with pytest.raises(TaskError, match="アクションは30個までです"):
        services.save_task(UpdateTask(name="多すぎ"), [memo] * 31)
    assert not UpdateTask.objects.exists()


def test_an_order_waiting_for_its_request_goes_back_to_checked_and_is_requested_with_the_change(world, fakes, clock):
    mall, warehouse = fakes
    place(mall, clock, "703-1")
    clock.advance(minutes=31)
    run_stage("mall_sync", clock.now)
    run_stage("advance", clock.now)
    assert order_of("703-1").status == S.AWAITING_SHIPMENT.value
    task = make_task("時間帯", act("set_delivery_time", time="午前中"))

    task_actions.run_task(order_of("703-1").pk, task.pk, "sousa", clock.advance(seconds=1))

    order = order_of("703-1")
    assert order.packages.get().delivery_time == "午前中"
    statuses = list(
        OrderEvent.objects.filter(order=order, kind="transition").order_by("id").values_list("to_status", flat=True)
    )
    assert statuses[-2:] == [S.CHECKED.value, S.AWAITING_SHIPMENT.value]
    sweep(clock, seconds=5)
    assert order_of("703-1").status == S.SHIPPING.value
    assert [r.request_id for r in warehouse.accepted_requests() if r.mall_order_number == "703-1"] == ["demo-703-1-1-2"]


def test_a_stale_order_page_is_refused(world, fakes, clock):
    mall, _ = fakes
    checked(mall, clock, "704-1")
    task = make_task("メモ", act("set_memo", text="x"))
    order = order_of("704-1")

    response = client_as(Role.OPERATOR).post(
        reverse("order-run-task", args=[order.pk]), {"task": task.pk, "version": order.version - 1}, follow=True
    )

    assert "この受注は画面を開いた後に変更されています" in page(response)
    assert order_of("704-1").memo == ""


# -- automatic rules ---------------------------------------------------------------------------------------


def test_a_rule_runs_its_task_once_when_the_order_leaves_new_and_the_checks_see_the_change(world, fakes, clock):
    mall, _ = fakes
    task = make_task("配送方法の補正", act("set_delivery_method", method="宅配便"))
    make_rule("メール便を宅配便へ", task, ("delivery_method", "eq", "メール便"))
    place(mall, clock, "710-1", method="メール便", payment="銀行振込", paid=False)
    place(mall, clock, "710-2", method="ネコポス", payment="銀行振込", paid=False)

    sweep(clock, minutes=31)

    assert order_of("710-1").packages.get().delivery_method == "宅配便"
    assert "unknown_delivery_method" not in tags_of("710-1")
    assert order_of("710-1").status == S.CHECKED.value
    assert "unknown_delivery_method" in tags_of("710-2")  # the rule's conditions did not match it
    (event,) = task_events("710-1")
    assert event.actor == "自動ルール「メール便を宅配便へ」"
    assert event.detail["rule_name"] == "メール便を宅配便へ"
    assert event.detail["changes"] == {"配送方法": ["メール便", "宅配便"]}
    first_task_event = event.at
    assert OrderEvent.objects.filter(order=order_of("710-1"), at__lt=first_task_event, kind="transition").count() == 0
    Order.objects.filter(mall_order_number="710-1").update(due_at=clock.now)
    sweep(clock, minutes=5)
    assert TaskRuleRun.objects.filter(order=order_of("710-1")).count() == 1
    assert len(task_events("710-1")) == 1


def test_a_retried_pass_never_runs_a_rule_twice_and_a_rolled_back_one_leaves_no_trace(world, fakes, clock):
    mall, _ = fakes
    task = make_task("送料", act("add_postage", amount=500))
    rule = make_rule("北海道は送料+500円", task, ("prefecture", "in", "北海道,沖縄県"))
    place(mall, clock, "711-1", prefecture="北海道", postal="0600001")
    now = clock.advance(minutes=31)
    order_id = order_of("711-1").pk
    warehouse_of = {order_id: world["warehouse"].pk}

    with transaction.atomic():
        task_rule_runs.run_entry_rules(list(load_snapshots([order_id]).values()), warehouse_of, now, SweepContext(now))
        transaction.set_rollback(True)  # the pass failed after the task ran: nothing of it stays
    assert (order_of("711-1").postage, TaskRuleRun.objects.count()) == (0, 0)
    for _ in range(2):  # the same orders, read before the first pass committed, come to a retried pass
        task_rule_runs.run_entry_rules(list(load_snapshots([order_id]).values()), warehouse_of, now, SweepContext(now))

    assert order_of("711-1").postage == 500
    assert list(TaskRuleRun.objects.values_list("order_id", "rule_id", "ok")) == [(order_id, rule.pk, True)]


def test_matching_rules_run_in_rule_order_and_inactive_or_unmatched_ones_do_not(world, fakes, clock):
    mall, _ = fakes
    first = make_task("最初", act("set_memo", text="A", mode="replace"))
    second = make_task("次", act("set_memo", text="B"))
    make_rule("2番目", second, ("total", "ge", "1000"), position=2)
    make_rule("1番目", first, ("total", "ge", "1000"), position=1)
    make_rule("無効", make_task("無効", act("set_memo", text="X")), ("total", "ge", "0"), enabled=False, position=0)
    make_rule("他店", make_task("他店", act("set_memo", text="Y")), ("total", "ge", "0"), shop=None, position=3)
    TaskRule.objects.filter(name="他店").update(conditions=[{"field": "shop_id", "op": "eq", "value": "999"}])
    place(mall, clock, "712-1")

    sweep(clock, minutes=31)

    assert order_of("712-1").memo == "A\nB"
    assert [e.actor for e in task_events("712-1")] == ["自動ルール「1番目」", "自動ルール「2番目」"]


def test_a_refused_automatic_task_is_recorded_and_the_order_carries_on(world, fakes, clock):
    mall, _ = fakes
    task = make_task("ノベルティ", act("add_novelty", sku="NOPE", quantity=1))
    make_rule("3,000円以上でノベルティ", task, ("total", "ge", "1000"))
    place(mall, clock, "713-1", payment="銀行振込", paid=False)

    sweep(clock, minutes=31)

    order = order_of("713-1")
    assert order.status == S.CHECKED.value and order.lines.count() == 1
    refusal = OrderEvent.objects.get(order=order, kind="update_task_refused")
    assert refusal.reason == (
        "更新タスク「ノベルティ」を実行できませんでした: アクション 1 (ノベルティ追加): SKU「NOPE」は登録されていません"
    )
    assert list(TaskRuleRun.objects.values_list("ok", flat=True)) == [False]


def test_a_rule_that_switches_the_warehouse_is_decided_with_the_new_warehouse(world, fakes, clock):
    mall, _ = fakes
    own = Warehouse.objects.create(code="own", name="自社倉庫", connector="fake")
    task = make_task("自社出荷へ", act("switch_warehouse", warehouse="own"), act("add_tag", code="own-ship"))
    make_rule("沖縄は自社出荷", task, ("prefecture", "eq", "沖縄県"))
    place(mall, clock, "714-1", prefecture="沖縄県", postal="9000001", payment="銀行振込", paid=False)

    sweep(clock, minutes=31)

    order = order_of("714-1")
    assert order.warehouse_id == own.pk
    assert "own-ship" in tags_of("714-1")
    assert order.status == S.CHECKED.value
    assert task_events("714-1")[0].detail["changes"]["出荷倉庫"] == ["RSL", "自社倉庫"]


# -- screens and roles -------------------------------------------------------------------------------------


def test_viewers_cannot_run_a_task_and_operators_can(world, fakes, clock):
    mall, _ = fakes
    checked(mall, clock, "720-1")
    task = make_task("メモ", act("set_memo", text="電話済"))
    order = order_of("720-1")
    viewer = client_as(Role.VIEWER)

    bulk = viewer.post(reverse("order-bulk"), {"action": "run_task", "task": task.pk, "ids": [order.pk]})
    one = viewer.post(reverse("order-run-task", args=[order.pk]), {"task": task.pk})
    assert (bulk.status_code, one.status_code, order_of("720-1").memo) == (403, 403, "")
    assert "更新タスクを実行" not in page(viewer.get(reverse("order-detail", args=[order.pk])))

    operator = client_as(Role.OPERATOR, "sousa")
    detail = page(operator.get(reverse("order-detail", args=[order.pk])))
    response = operator.post(reverse("order-run-task", args=[order.pk]), {"task": task.pk, "version": order.version})

    assert "更新タスクを実行" in detail
    assert response.status_code == 302
    assert order_of("720-1").memo == "電話済"
    assert task_events("720-1")[0].actor == "sousa"


def test_only_administrators_edit_tasks_and_rules(world):
    task = make_task("メモ", act("set_memo", text="x"))
    rule = make_rule("ルール", task, ("total", "ge", "0"))
    urls = [
        reverse("settings-tasks"),
        reverse("settings-task-new"),
        reverse("settings-task", args=[task.pk]),
        reverse("settings-task-rules"),
        reverse("settings-task-rule", args=[rule.pk]),
    ]
    operator, admin = client_as(Role.OPERATOR), client_as(Role.ADMIN)

    assert [operator.get(url).status_code for url in urls] == [403] * 5
    assert operator.post(reverse("settings-task-delete", args=[task.pk])).status_code == 403
    assert [admin.get(url).status_code for url in urls] == [200] * 5
    assert UpdateTask.objects.count() == 1


def test_an_admin_saves_a_task_in_the_order_of_its_rows_and_errors_name_the_row(world, novelty):
    admin = client_as(Role.ADMIN)
    data = {
        "name": "北海道・沖縄は送料+500円",
        "description": "離島向け",
        "actions-TOTAL_FORMS": "3",
        "actions-INITIAL_FORMS": "0",
        "actions-0-kind": "add_postage",
        "actions-0-amount": "５００円",
        "actions-0-ORDER": "2",
        "actions-1-kind": "set_memo",
        "actions-1-text": "送料加算済",
        "actions-1-mode": "append",
        "actions-1-ORDER": "1",
        "actions-2-kind": "add_tag",
        "actions-2-code": "remote",
        "actions-2-ORDER": "3",
    }

    refused = admin.post(reverse("settings-task-new"), data)
    data["actions-0-amount"] = "500"
    saved = admin.post(reverse("settings-task-new"), data)

    assert "アクション 1 (送料を加算): 金額 (円、マイナスで減算)は整数で入力してください (「５００円」)" in page(
        refused
    )
    assert saved.status_code == 302
    task = UpdateTask.objects.get()
    assert task.actions == [
        {"kind": "set_memo", "params": {"mode": "append", "text": "送料加算済"}, "mall_write": False},
        {"kind": "add_postage", "params": {"amount": "500"}, "mall_write": False},
        {"kind": "add_tag", "params": {"code": "remote", "hold": "false"}, "mall_write": False},
    ]
    editor = page(admin.get(reverse("settings-task", args=[task.pk])))
    assert "モール反映なし" in editor and 'value="送料加算済"' in editor


def test_the_mall_write_flag_cannot_be_set(world):
    admin = client_as(Role.ADMIN)
    data = {
        "name": "配送方法",
        "actions-TOTAL_FORMS": "1",
        "actions-INITIAL_FORMS": "0",
        "actions-0-kind": "set_delivery_method",
        "actions-0-method": "宅配便",
        "actions-0-mall_write": "on",
    }

    admin.post(reverse("settings-task-new"), data)

    assert UpdateTask.objects.get().actions[0]["mall_write"] is False  # the input is disabled: its value is ignored
    with pytest.raises(TaskError, match="配送方法の変更はモール反映なしです"):
        services.save_task(
            UpdateTask(name="x"),
            services.task_from_row(
                UpdateTask(name="x", actions=[act("set_delivery_method", True, method="宅配便")])
            ).actions,
        )


def test_a_task_named_by_a_rule_cannot_be_deleted(world):
    task = make_task("メモ", act("set_memo", text="x"))
    make_rule("ルール", task, ("total", "ge", "0"))
    admin = client_as(Role.ADMIN)

    response = admin.post(reverse("settings-task-delete", args=[task.pk]), follow=True)

    assert "更新タスク「メモ」は自動ルール「ルール」が使っています" in page(response)
    assert UpdateTask.objects.count() == 1


def test_the_rule_preview_lists_the_matching_recent_orders_and_saves_nothing(world, fakes, clock):
    mall, _ = fakes
    place(mall, clock, "730-1", prefecture="北海道", postal="0600001")
    place(mall, clock, "730-2")
    task = make_task("送料", act("add_postage", amount=500))
    data = {
        "name": "北海道",
        "task": task.pk,
        "match": "all",
        "position": "0",
        "enabled": "on",
        "cond-TOTAL_FORMS": "1",
        "cond-INITIAL_FORMS": "0",
        "cond-0-field": "prefecture",
        "cond-0-op": "in",
        "cond-0-value": "北海道、沖縄県",
    }
    admin = client_as(Role.ADMIN)

    html = page(admin.post(reverse("settings-task-rule-preview"), data))
    saved = admin.post(reverse("settings-task-rule-new"), data)

    assert "直近の受注 2 件のうち 1 件が一致します" in html
    assert "730-1" in html and "730-2" not in html
    assert "更新タスク「送料」を実行します" in html
    assert saved.status_code == 302
    assert TaskRule.objects.get().conditions == [{"field": "prefecture", "op": "in", "value": "北海道、沖縄県"}]
