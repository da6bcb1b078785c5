"""Row locks taken in one fixed order, so that concurrent sweeps wait for each other instead of deadlocking.

The rule, for every transaction that writes orders together with rows that hang off them (shipment
requests, packages, effects, stock): lock the orders first, by ascending id, then the rest. ``advance``
claims its orders first (``SKIP LOCKED``) and then its stock rows by id; the recorders of the submit,
collect and report sweeps follow the same order through :func:`lock_orders`.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection

from juchu.orders.models import Order


def lock_orders(order_ids: Iterable[int]) -> None:
    """Take the row locks of these orders (ascending id) for the rest of the current transaction.

    On SQLite the transaction already holds the one write lock (``BEGIN IMMEDIATE``), so nothing is done.
    """
    ids = sorted(set(order_ids))
    if not ids or not connection.features.has_select_for_update:
        return
    list(Order.objects.select_for_update().filter(id__in=ids).order_by("id").values_list("id", flat=True))
