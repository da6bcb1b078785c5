"""Purging buyers' personal data (個人情報の削除) a configurable time after an order is finished.

An order that is 完了 or キャンセル and has been so for longer than the threshold (``JUCHU_PURGE_AFTER_DAYS``)
keeps its number, items, amounts, dates, carrier and tracking numbers, statuses and timeline, but loses
everything that says who the buyer is and where they live: the buyer's name, kana, e-mail, phone and
remarks, each package's recipient name, kana, phone and street address (city, address lines), the mails sent
to the buyer, and every copy of those values in the timeline, tags, effect and request errors and the search
index. Each value is replaced by :data:`MARKER`, so the screens show that something was there.

Kept on purpose: each package's **postal code and prefecture** — delivery quality (ship-by, lead times,
remote islands) is measured per region, and without a name, street or phone they point to an area, not to
a person. Also kept: the order number (the mall's own key, needed to answer the mall and the buyer), item
names, quantities and prices.

The purge is idempotent (``Order.personal_data_purged_at``), audited (one order event per order, actor
``system:purge``), and logs counts only. On SQLite it runs with ``secure_delete`` so that the old values
are overwritten in the database file, not just unlinked. Files in the data directory that hold the same
data — mails kept by the file mail backend and exported RSL request files — are removed once older than
the threshold.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db import connection, models, transaction
from django.db.models import Case, F, Value, When

from juchu.domain.status import OrderStatus
from juchu.fulfillment.models import ShipmentRequest
from juchu.logfilters import mask
from juchu.mail.models import OutgoingMail
from juchu.orders import search, writes
from juchu.orders.models import Effect, Order, OrderEvent, OrderSearchTerm, OrderTag
from juchu.orders.models import Package as PackageRow

log = logging.getLogger("juchu.purge")

#: What a purged value reads as.
MARKER = search.PURGED
ACTOR = "system:purge"
EVENT_KIND = "personal_data_purged"
FINAL_STATUSES = (OrderStatus.COMPLETED.value, OrderStatus.CANCELLED.value)
ORDER_FIELDS = ("buyer_name", "buyer_kana", "email", "phone", "remarks")
#: Postal code and prefecture are not here: they stay (see the module's docstring).
PACKAGE_FIELDS = ("recipient_name", "recipient_kana", "phone", "city", "address1", "address2")
#: Keys whose values are personal wherever they appear in an event's or effect's JSON (an ``edited``
#: event's ``{"changes": {"city": [old, new]}}`` holds the old address, which no other row still has).
PERSONAL_KEYS = frozenset({*ORDER_FIELDS, *PACKAGE_FIELDS, "to", "address"})
_SPACES = re.compile(r"[\s\u3000]+")
_NOT_DIGITS = re.compile(r"\D")


@dataclass(frozen=True, slots=True)
class PurgeResult:
    """What a purge did (or, for a dry run, would do: only ``orders`` is counted then)."""

    orders: int = 0
    packages: int = 0
    mails: int = 0
    #: Rows whose free text or JSON held a personal value (events, tags, effects, shipment requests).
    scrubbed: int = 0
    #: Files removed from the data directory (kept mails, exported RSL request files).
    files: int = 0

    def __add__(self, other: PurgeResult) -> PurgeResult:
        return PurgeResult(
            self.orders + other.orders,
            self.packages + other.packages,
            self.mails + other.mails,
            self.scrubbed + other.scrubbed,
            self.files + other.files,
        )


def due_orders(now: datetime, older_than: timedelta) -> models.QuerySet[Order]:
    """Final orders finished before ``now - older_than`` whose personal data is still kept."""
    return Order.objects.filter(
        status__in=FINAL_STATUSES,
        status_changed_at__lt=now - older_than,
        personal_data_purged_at__isnull=True,
    )


def purge_personal_data(
    now: datetime,
    older_than: timedelta,
    batch: int = 500,
    *,
    dry_run: bool = False,
    max_batches: int | None = None,
) -> PurgeResult:
    """Replace the personal data of every due order by :data:`MARKER`, ``batch`` orders per transaction.

    ``max_batches`` bounds one call (the rest is done by the next); a dry run only counts the due orders.
    """
    if older_than <= timedelta(0):
        raise ValueError("older_than must be positive")
    if dry_run:
        return PurgeResult(orders=due_orders(now, older_than).count())
    total = PurgeResult()
    done = 0
    with _secure_delete():
        while max_batches is None or done < max_batches:
            step = _purge_batch(now, older_than, batch)
            done += 1
            total += step
            if step.orders < batch:
                break
    total += PurgeResult(files=_remove_old_files(now - older_than))
    if total.orders or total.files:
        log.info(
            "personal data purged: %d orders, %d packages, %d mails, %d rows scrubbed, %d files removed",
            total.orders,
            total.packages,
            total.mails,
            total.scrubbed,
            total.files,
        )
    return total


def purge_due(now: datetime, max_batches: int = 20) -> int:
    """The pipeline's daily purge under ``JUCHU_PURGE_AFTER_DAYS`` (0 = never); returns the orders purged."""
    days = settings.JUCHU_PURGE_AFTER_DAYS
    if days <= 0:
        return 0
    return purge_personal_data(now, timedelta(days=days), max_batches=max_batches).orders


def has_due(now: datetime) -> bool:
    """Whether :func:`purge_due` has an order to purge now (one indexed lookup)."""
    days = settings.JUCHU_PURGE_AFTER_DAYS
    return days > 0 and due_orders(now, timedelta(days=days)).exists()


@contextmanager
def _secure_delete() -> Iterator[None]:
    """On SQLite, overwrite replaced and deleted values in the file too (not just unlink them from the tree)."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA secure_delete")
        before = cursor.fetchone()[0]
        cursor.execute("PRAGMA secure_delete = ON")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA secure_delete = {int(before)}")


# ---- one batch ---------------------------------------------------------------------------------------------


class _Scrubber:
    """Replaces one order's personal values (and any e-mail address or phone number) in free text and JSON."""

    def __init__(self, values: Iterable[str]) -> None:
        pieces: set[str] = set()
        for value in values:
            value = value.strip()
            if len(value) < 2 or value == MARKER:
                continue
            pieces.add(value)
            # A name's parts ("山田" of "山田 太郎") are personal on their own in an operator's note.
            pieces.update(part for part in _SPACES.split(value) if len(part) >= 2)
            digits = _NOT_DIGITS.sub("", value)
            if len(digits) >= 8 and len(digits) >= len(value) // 2:
                pieces.add(digits)  # a phone number written without its hyphens
        ordered = sorted(pieces, key=len, reverse=True)
        self._pattern = re.compile("|".join(map(re.escape, ordered))) if ordered else None

    def text(self, text: str) -> str:
        if not text:
            return text
        if self._pattern is not None:
            text = self._pattern.sub(MARKER, text)
        return mask(text)

    def json(self, value: object) -> object:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self.json(v) for v in value]
        if isinstance(value, dict):
            return {k: _blank(v) if k in PERSONAL_KEYS else self.json(v) for k, v in value.items()}
        return value


def _blank(value: object) -> object:
    """A personal value in JSON, replaced whatever its shape (``[old, new]`` pairs included)."""
    if isinstance(value, list):
        return [_blank(v) for v in value]
    if isinstance(value, dict):
        return {k: _blank(v) for k, v in value.items()}
    return MARKER if value not in (None, "") else value


def _purge_batch(now: datetime, older_than: timedelta, batch: int) -> PurgeResult:
    with transaction.atomic():
        orders = list(
            due_orders(now, older_than)
            .select_for_update()
            # No ORDER BY: the batch is the first rows of the partial index, with no sort of the whole backlog.
            .values_list("id", "explanation", *ORDER_FIELDS)[:batch]
        )
        if not orders:
            return PurgeResult()
        ids = [row[0] for row in orders]
        values: dict[int, list[str]] = {row[0]: list(row[2:]) for row in orders}
        explanations = {row[0]: row[1] for row in orders}
        packages = list(PackageRow.objects.filter(order_id__in=ids).values_list("order_id", *PACKAGE_FIELDS))
        for order_id, *fields in packages:
            values[order_id] += fields
        scrubbers = {order_id: _Scrubber(found) for order_id, found in values.items()}
        # An operator's hold reason shows in the explanation too.
        for order_id, text in explanations.items():
            if (clean := scrubbers[order_id].text(text)) != text:
                Order.objects.filter(id=order_id).update(explanation=clean)

        Order.objects.filter(id__in=ids).update(
            **{name: _marker_unless_empty(name) for name in ORDER_FIELDS},
            fingerprint="",
            content_hash="",
            personal_data_purged_at=now,
            version=F("version") + 1,
        )
        PackageRow.objects.filter(order_id__in=ids).update(
            **{name: _marker_unless_empty(name) for name in PACKAGE_FIELDS}
        )
        mails = OutgoingMail.objects.filter(order_id__in=ids)
        mail_count = mails.update(to=MARKER, subject=MARKER, body=MARKER)
        scrubbed = _scrub(OutgoingMail, ids, ("last_error",), scrubbers)
        scrubbed += _scrub(OrderEvent, ids, ("reason", "detail"), scrubbers)
        scrubbed += _scrub(OrderTag, ids, ("reason",), scrubbers)
        scrubbed += _scrub(Effect, ids, ("last_error", "result"), scrubbers)
        scrubbed += _scrub(ShipmentRequest, ids, ("last_error",), scrubbers)
        _index_numbers_only(ids)
        writes.insert_events(
            writes.event(
                order_id,
                now,
                EVENT_KIND,
                "個人情報を削除しました",
                actor=ACTOR,
                detail={"after_days": older_than.days},
            )
            for order_id in ids
        )
    return PurgeResult(orders=len(ids), packages=len(packages), mails=mail_count, scrubbed=scrubbed)


def _marker_unless_empty(name: str) -> Case:
    """The marker where the field has a value; an empty field stays empty (nothing was there)."""
    return Case(When(**{name: ""}, then=Value("")), default=Value(MARKER))


def _scrub(model: type[models.Model], order_ids: list[int], names: tuple[str, ...], scrubbers: dict) -> int:
    """Rewrite the rows of these orders whose text or JSON fields hold a personal value; returns how many."""
    changed = []
    for row in model._default_manager.filter(order_id__in=order_ids).only("id", "order_id", *names):
        scrub = scrubbers[row.order_id]
        dirty = False
        for name in names:
            old = getattr(row, name)
            new = scrub.text(old) if isinstance(old, str) else scrub.json(old)
            if new != old:
                setattr(row, name, new)
                dirty = True
        if dirty:
            changed.append(row)
    model._default_manager.bulk_update(changed, list(names), batch_size=200)
    return len(changed)


def _index_numbers_only(order_ids: list[int]) -> None:
    """The purged orders stay findable by their number only (not by the marker either)."""
    OrderSearchTerm.objects.filter(order_id__in=order_ids).delete()
    rows = Order.objects.filter(id__in=order_ids).values_list("id", "mall_order_number", "ordered_at")
    writes.insert_rows(
        OrderSearchTerm,
        ("order_id", "term", "ordered_at"),
        [(pk, term, ordered_at) for pk, number, ordered_at in rows for term in search.terms_for(number, (), (), ())],
    )


# ---- files in the data directory ----------------------------------------------------------------------------


def _kept_files() -> list[Path]:
    """Directories of files that carry buyers' data: mails kept by the file backend, exported RSL requests."""
    found = [Path(settings.DATA_DIR) / "exports"]
    if settings.EMAIL_BACKEND == "django.core.mail.backends.filebased.EmailBackend":
        found.append(Path(settings.EMAIL_FILE_PATH))
    return found


def _remove_old_files(before: datetime) -> int:
    limit = before.timestamp()
    removed = 0
    for directory in _kept_files():
        if not directory.is_dir():
            continue
        for path in directory.iterdir():
            try:
                if path.is_file() and path.stat().st_mtime < limit:
                    path.unlink()
                    removed += 1
            except OSError:
                continue
    return removed
