"""Purging buyers' personal data of long-finished orders: only final ones, only once, audited, nothing left.

Orders go through the real pipeline (fake mall and warehouse, hand-moved clock); the purge is then run at
moments before and after the threshold.
"""

from __future__ import annotations

import json
import logging
import os
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from juchu.domain.status import OrderStatus
from juchu.mail.models import OutgoingMail
from juchu.orders import actions, search
from juchu.orders.models import Effect, Order, OrderEvent, OrderTag
from juchu.orders.models import Package as PackageRow
from juchu.orders.purge import ACTOR, EVENT_KIND, MARKER, purge_due, purge_personal_data
from juchu.runtime.models import Lease
from juchu.runtime.sweeps import run_all, run_stage
from tests.integration.conftest import Clock, mall_order

S = OrderStatus
OPERATOR = "operator@example.jp"
BUYER = "佐藤 花子"
PHONE = "03-1234-5678"
#: Every personal value the orders below ever had, the address from before an operator's edit included.
PERSONAL = [BUYER, "佐藤", "花子", PHONE, "0312345678", "千代田区", "千代田1-1", "港区", "芝公園4-2-8", "buyer80"]
DAYS = timedelta(days=30)


def sweep(clock: Clock, **delta: float) -> None:
    run_all(clock.advance(**delta))
    errors = {lease.stage: lease.last_error for lease in Lease.objects.exclude(last_error="")}
    assert not errors, errors


def order_of(number: str) -> Order:
    return Order.objects.get(mall_order_number=number)


def place(mall, clock: Clock, number: str, **fields) -> None:
    mall.put(mall_order(number, clock.now, buyer=BUYER, **fields), clock.now)
    sweep(clock, seconds=1)


def everything_stored_about(number: str) -> str:
    """Every text Juchu keeps for the order, as one string to search personal values in."""
    order = order_of(number)
    parts = [
        json.dumps(list(Order.objects.filter(pk=order.pk).values().get().values()), default=str, ensure_ascii=False),
        json.dumps(list(PackageRow.objects.filter(order=order).values()), default=str, ensure_ascii=False),
        json.dumps(list(OutgoingMail.objects.filter(order=order).values()), default=str, ensure_ascii=False),
        json.dumps(list(OrderEvent.objects.filter(order=order).values()), default=str, ensure_ascii=False),
        json.dumps(list(OrderTag.objects.filter(order=order).values()), default=str, ensure_ascii=False),
        json.dumps(list(Effect.objects.filter(order=order).values()), default=str, ensure_ascii=False),
        json.dumps(list(order.search_terms.values_list("term", flat=True)), ensure_ascii=False),
    ]
    return "\n".join(parts)


def found_by(text: str) -> set[str]:
    ids = search.matching(text).values_list("order_id", flat=True)
    return set(Order.objects.filter(id__in=ids).values_list("mall_order_number", flat=True))


@pytest.fixture
def finished(world, fakes, clock):
    """801-1 completed after an address edit and a hold naming the buyer; 802-1 cancelled; 803-1 still open."""
    mall, warehouse = fakes
    place(mall, clock, "801-1")
    clock.advance(minutes=31)
    run_stage("mall_sync", clock.now)
    run_stage("advance", clock.now)
    order = order_of("801-1")
    package = order.packages.get()
    actions.edit_package(order.pk, package.pk, {"city": "港区", "address1": "芝公園4-2-8"}, OPERATOR, clock.now)
    actions.hold(order_of("801-1").pk, "hold_by_operator", "佐藤様に 03-1234-5678 で確認中", OPERATOR, clock.now)
    actions.release_tag(order_of("801-1").pk, "hold_by_operator", OPERATOR, clock.now)
    sweep(clock, seconds=5)
    assert order_of("801-1").status == S.SHIPPING.value, order_of("801-1").explanation
    for request in warehouse.accepted_requests():
        warehouse.ship(request.request_id)
    for _ in range(3):
        sweep(clock, seconds=5)
    assert order_of("801-1").status == S.COMPLETED.value, order_of("801-1").explanation

    place(mall, clock, "802-1", payment="銀行振込", paid=False)
    sweep(clock, minutes=31)
    actions.cancel_order(order_of("802-1").pk, OPERATOR, clock.now, "佐藤 花子様のご都合")
    sweep(clock, seconds=5)
    assert order_of("802-1").status == S.CANCELLED.value

    place(mall, clock, "803-1", item="item-b", payment="銀行振込", paid=False)
    sweep(clock, minutes=31)
    assert order_of("803-1").status == S.CHECKED.value
    assert OutgoingMail.objects.filter(order=order_of("801-1")).count() == 2  # thanks + shipping
    assert OutgoingMail.objects.filter(order=order_of("802-1"), kind="cancel_mail").exists()
    return clock.now


def test_nothing_is_purged_before_the_threshold(finished, clock) -> None:
    # given orders finished 29 days ago, when the 30-day purge runs, then nothing changes
    before = {n: everything_stored_about(n) for n in ("801-1", "802-1", "803-1")}
    result = purge_personal_data(finished + timedelta(days=29), DAYS)
    assert result.orders == 0
    assert {n: everything_stored_about(n) for n in before} == before
    assert found_by(BUYER) == {"801-1", "802-1", "803-1"}


def test_final_orders_lose_every_personal_value_and_open_orders_keep_theirs(finished, clock, caplog) -> None:
    open_before = everything_stored_about("803-1")
    caplog.set_level(logging.INFO, logger="juchu")

    # when the purge runs 31 days after the orders finished
    result = purge_personal_data(finished + timedelta(days=31), DAYS)

    # then the completed and the cancelled order are purged, field by field
    assert (result.orders, result.packages) == (2, 2)
    assert result.mails == OutgoingMail.objects.filter(order__mall_order_number__in=["801-1", "802-1"]).count()
    for number in ("801-1", "802-1"):
        order = order_of(number)
        assert (order.buyer_name, order.email, order.phone) == (MARKER, MARKER, MARKER)
        assert order.buyer_kana == ""  # nothing was there: nothing is marked
        assert (order.fingerprint, order.content_hash) == ("", "")
        assert order.personal_data_purged_at == finished + timedelta(days=31)
        package = order.packages.get()
        assert (package.recipient_name, package.city, package.address1) == (MARKER,) * 3
        assert (package.phone, package.address2) == ("", "")  # the mall gave none
        # postal code and prefecture stay, for delivery quality per region
        assert (package.postal_code, package.prefecture) == ("1000001", "東京都")
        for mail in OutgoingMail.objects.filter(order=order):
            assert (mail.to, mail.subject, mail.body) == (MARKER, MARKER, MARKER)
        stored = everything_stored_about(number)
        assert [value for value in PERSONAL if value in stored] == []
        # the number, items and amounts stay
        assert order.lines.get().name == "テスト商品"
        assert order.total == 1200

    # ... the edit's old and new address are scrubbed in the timeline, the event itself stays
    edited = OrderEvent.objects.get(order=order_of("801-1"), kind="edited")
    assert edited.detail == {"changes": {"city": [MARKER, MARKER], "address1": [MARKER, MARKER]}}
    held = OrderEvent.objects.get(order=order_of("801-1"), kind="tag_added", detail={"tag": "hold_by_operator"})
    assert held.reason == f"{MARKER}様に {MARKER} で確認中"

    # ... each purged order has one audit event, and the log has counts only
    purges = OrderEvent.objects.filter(kind=EVENT_KIND).order_by("order__mall_order_number")
    assert [(e.order.mall_order_number, e.actor, e.reason) for e in purges] == [
        ("801-1", ACTOR, "個人情報を削除しました"),
        ("802-1", ACTOR, "個人情報を削除しました"),
    ]
    lines = [r.getMessage() for r in caplog.records if r.name == "juchu.purge"]
    assert len(lines) == 1
    assert lines[0].startswith("personal data purged: 2 orders, 2 packages, 3 mails, ")

    # ... search finds them by number only, never by name, phone, e-mail or the marker
    assert found_by(BUYER) == {"803-1"}
    assert found_by("佐藤") == {"803-1"}
    assert found_by(PHONE) == {"803-1"}
    assert found_by("buyer801-1@example.jp") == set()
    assert found_by(MARKER) == set()
    assert found_by("801-1") == {"801-1"}

    # ... and the open order is untouched
    assert everything_stored_about("803-1") == open_before
    assert order_of("803-1").personal_data_purged_at is None


def test_the_purge_is_idempotent(finished, clock) -> None:
    first = purge_personal_data(finished + timedelta(days=31), DAYS)
    purged = {n: everything_stored_about(n) for n in ("801-1", "802-1")}

    # when it runs again (a day later), then nothing more happens and no second audit event is written
    again = purge_personal_data(finished + timedelta(days=32), DAYS)
    assert first.orders == 2
    assert again.orders == 0
    assert {n: everything_stored_about(n) for n in purged} == purged
    assert OrderEvent.objects.filter(kind=EVENT_KIND).count() == 2


def test_a_purged_order_read_again_from_the_mall_keeps_no_personal_data(finished, fakes, clock) -> None:
    mall, _ = fakes
    purge_personal_data(finished + timedelta(days=31), DAYS)
    # when the mall sends the finished order again (a status change at the mall), then it is not re-imported
    clock.now = finished + timedelta(days=31, minutes=1)
    mall.update("801-1", clock.now, mall_status="700")
    sweep(clock, seconds=1)
    assert order_of("801-1").mall_status == "700"
    assert [v for v in PERSONAL if v in everything_stored_about("801-1")] == []


def test_small_batches_purge_everything_due(finished, clock) -> None:
    result = purge_personal_data(finished + timedelta(days=31), DAYS, batch=1)
    assert result.orders == 2
    assert Order.objects.filter(personal_data_purged_at__isnull=False).count() == 2


def test_a_dry_run_counts_and_changes_nothing(finished, clock) -> None:
    before = everything_stored_about("801-1")
    assert purge_personal_data(finished + timedelta(days=31), DAYS, dry_run=True).orders == 2
    assert everything_stored_about("801-1") == before


def test_purge_due_follows_the_setting_and_zero_means_never(finished, clock, settings) -> None:
    later = finished + timedelta(days=400)
    settings.JUCHU_PURGE_AFTER_DAYS = 0
    assert purge_due(later) == 0
    assert not OrderEvent.objects.filter(kind=EVENT_KIND).exists()

    settings.JUCHU_PURGE_AFTER_DAYS = 365
    assert purge_due(finished + timedelta(days=364)) == 0
    assert purge_due(later) == 2


def test_old_files_with_buyers_data_are_removed(finished, clock, settings, tmp_path) -> None:
    # given a data directory with an old and a new exported RSL file and an old kept mail
    settings.DATA_DIR = tmp_path
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path / "mail")
    now = finished + timedelta(days=31)
    old = (now - timedelta(days=40)).timestamp()
    (tmp_path / "exports").mkdir()
    (tmp_path / "mail").mkdir()
    for path in (tmp_path / "exports" / "rsl-old.csv", tmp_path / "mail" / "old.log"):
        path.write_text(BUYER)
        os.utime(path, (old, old))
    fresh = tmp_path / "exports" / "rsl-new.csv"
    fresh.write_text(BUYER)
    os.utime(fresh, (now.timestamp(), now.timestamp()))

    result = purge_personal_data(now, DAYS)

    assert result.files == 2
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == ["rsl-new.csv"]


def test_the_command_purges_orders_finished_more_than_n_days_ago(finished, clock) -> None:
    # given the completed order finished 40 days ago by the wall clock (the command reads the real time)
    Order.objects.filter(mall_order_number="801-1").update(status_changed_at=timezone.now() - timedelta(days=40))
    Order.objects.filter(mall_order_number="802-1").update(status_changed_at=timezone.now() - timedelta(days=5))

    out = StringIO()
    call_command("purge_personal_data", "--days", "30", "--dry-run", stdout=out)
    assert "対象: 1 件" in out.getvalue()
    assert order_of("801-1").personal_data_purged_at is None

    out = StringIO()
    call_command("purge_personal_data", "--days", "30", stdout=out)
    assert "受注 1 件" in out.getvalue()
    assert order_of("801-1").buyer_name == MARKER
    assert order_of("802-1").buyer_name == BUYER


def test_the_pipeline_pass_purges_once_a_day(finished, clock, settings) -> None:
    # given a 30-day purge, when the runner's passes go on 31 days later, then the purge stage runs once that day
    settings.JUCHU_PURGE_AFTER_DAYS = 30
    later = finished + timedelta(days=31)

    first = run_all(later)
    again = run_all(later + timedelta(hours=1))

    assert first["purge"] == 2
    assert again["purge"] == 0  # nothing due any more, and not a new day
    assert Lease.objects.get(stage="purge", scope=0).runs == 1
    assert order_of("803-1").buyer_name != MARKER
