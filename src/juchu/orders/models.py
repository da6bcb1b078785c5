"""Orders (受注), packages (送付先), lines (明細), tags, rules, effects (outbox) and the audit trail."""

from __future__ import annotations

from django.db import models

from juchu.domain.effects import EffectKind, EffectState
from juchu.domain.model import OrderType, PaymentState
from juchu.domain.rules import Match
from juchu.domain.status import OrderStatus, PackageStatus

STATUS_CHOICES = [(s.value, s.label_ja) for s in OrderStatus]


class Order(models.Model):
    """One mall order. ``status`` and ``due_at`` drive the pipeline; ``version`` guards against stale writes."""

    shop = models.ForeignKey("shops.Shop", on_delete=models.PROTECT, related_name="orders")
    mall_order_number = models.CharField(max_length=64)
    status = models.CharField(max_length=20, choices=STATUS_CHOICES, default=OrderStatus.NEW.value)
    #: When the advance sweep must look at the order next; NULL while it waits for an outside event.
    due_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    explanation = models.CharField(max_length=500, blank=True)
    ordered_at = models.DateTimeField()
    imported_at = models.DateTimeField()
    status_changed_at = models.DateTimeField()
    buyer_name = models.CharField(max_length=200, blank=True)
    buyer_kana = models.CharField(max_length=200, blank=True)
    email = models.CharField(max_length=254, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    remarks = models.TextField(blank=True)
    order_type = models.CharField(
        max_length=20, choices=[(t.value, t.label_ja) for t in OrderType], default=OrderType.NORMAL.value
    )
    gift = models.BooleanField(default=False)
    coupon_used = models.IntegerField(default=0)
    points_used = models.IntegerField(default=0)
    goods_total = models.IntegerField(default=0)
    postage = models.IntegerField(default=0)
    total = models.IntegerField(default=0)
    payment_method = models.CharField(max_length=100, blank=True)
    payment_state = models.CharField(
        max_length=20, choices=[(p.value, p.value) for p in PaymentState], default=PaymentState.UNPAID.value
    )
    payment_error = models.CharField(max_length=500, blank=True)
    mall_status = models.CharField(max_length=40, blank=True, help_text="モール側のステータス (例: 楽天 100)")
    mall_cancelled = models.BooleanField(default=False)
    mall_changed = models.BooleanField(default=False)
    mall_confirmed = models.BooleanField(default=False)
    allocated = models.BooleanField(default=False)
    thanks_mail_queued = models.BooleanField(default=False)
    shipping_restricted = models.BooleanField(default=False)
    #: Hash of buyer, address and items, to find suspected duplicates (重複注文の疑い).
    fingerprint = models.CharField(max_length=64, db_index=True, blank=True)
    #: Hash of buyer name, destination and delivery method, to find merge candidates (同梱候補, orders/merging.py).
    merge_key = models.CharField(max_length=64, db_index=True, blank=True)
    #: Hash of the mall's content, to notice a change at the mall.
    content_hash = models.CharField(max_length=64, blank=True)
    warehouse = models.ForeignKey("fulfillment.Warehouse", on_delete=models.PROTECT, related_name="orders")
    #: When the buyer's personal data was replaced by a marker (orders/purge.py); NULL while it is kept.
    personal_data_purged_at = models.DateTimeField(null=True, blank=True)
    #: The shop's own memo (社内メモ), written by an update task (更新タスク); never sent to the mall.
    memo = models.TextField(blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["shop", "mall_order_number"], name="uniq_shop_order_number")]
        indexes = [
            models.Index(fields=["due_at"], name="order_due", condition=models.Q(due_at__isnull=False)),
            # The list's keyset pages: (sort column, id) per tab and over every tab (orders/queries.py).
            models.Index(fields=["status", "ordered_at", "id"], name="order_status_date_id"),
            models.Index(fields=["ordered_at", "id"], name="order_date_id"),
            # The top page's stuck orders: status and how long it has been in it.
            models.Index(fields=["status", "status_changed_at"], name="order_status_since"),
            models.Index(fields=["shop", "status"], name="order_shop_status"),
            # The purge's due orders: final, finished long ago, personal data still kept (orders/purge.py).
            models.Index(
                fields=["status", "status_changed_at"],
                name="order_purge_due",
                condition=models.Q(personal_data_purged_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return self.mall_order_number

    @property
    def status_enum(self) -> OrderStatus:
        """The status as the domain enum."""
        return OrderStatus(self.status)


class Package(models.Model):
    """One destination (送付先) of an order, with its own shipment status."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="packages")
    seq = models.PositiveIntegerField()
    mall_package_id = models.CharField(max_length=64, blank=True)
    recipient_name = models.CharField(max_length=200)
    recipient_kana = models.CharField(max_length=200, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    postal_code = models.CharField(max_length=20)
    prefecture = models.CharField(max_length=20)
    city = models.CharField(max_length=200, blank=True)
    address1 = models.CharField(max_length=300, blank=True)
    address2 = models.CharField(max_length=300, blank=True)
    delivery_method = models.CharField(max_length=100)
    requested_date = models.DateField(null=True, blank=True)
    delivery_time = models.CharField(max_length=40, blank=True)
    island = models.BooleanField(default=False)
    shipment_status = models.CharField(
        max_length=30,
        choices=[(p.value, p.label_ja) for p in PackageStatus],
        default=PackageStatus.PENDING.value,
    )
    #: 同梱: the primary order's package this one ships with (in its request); NULL when shipped on its own.
    merged_into = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="merged_packages"
    )
    #: 分割出荷: the warehouse this package ships from when it is not the order's (decision 0010); NULL: the order's.
    warehouse = models.ForeignKey(
        "fulfillment.Warehouse", on_delete=models.PROTECT, null=True, blank=True, related_name="packages"
    )
    #: 分割出荷: the package whose lines this one took over (same destination, another warehouse); NULL otherwise.
    split_from = models.ForeignKey("self", on_delete=models.CASCADE, null=True, blank=True, related_name="split_parts")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["order", "seq"], name="uniq_package_seq")]
        ordering = ["seq"]


class OrderLine(models.Model):
    """One line (明細): a mall item and variant, mapped to a SKU or set product."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    package = models.ForeignKey(Package, on_delete=models.CASCADE, related_name="lines")
    seq = models.PositiveIntegerField()
    mall_item_id = models.CharField(max_length=128)
    mall_variant_id = models.CharField(max_length=128, blank=True, default="")
    name = models.CharField(max_length=300, blank=True)
    quantity = models.PositiveIntegerField()
    unit_price = models.IntegerField(default=0)
    product = models.ForeignKey("catalog.Product", on_delete=models.PROTECT, null=True, blank=True)

    class Meta:
        ordering = ["package_id", "seq"]
        indexes = [models.Index(fields=["mall_item_id", "mall_variant_id"], name="line_mall_item")]


class OrderTag(models.Model):
    """A tag now on an order (system, rule-attached or operator-attached)."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="tags")
    code = models.CharField(max_length=64)
    source = models.CharField(max_length=20)
    reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["order", "code"], name="uniq_order_tag")]
        indexes = [models.Index(fields=["code"], name="order_tag_code")]


class RemovedTag(models.Model):
    """A tag an operator removed from an order: rules and checks never attach it again there."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="removed_tags")
    code = models.CharField(max_length=64)
    removed_by = models.CharField(max_length=150)
    removed_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["order", "code"], name="uniq_removed_tag")]


class TagRule(models.Model):
    """A custom-tag rule (カスタムタグ): conditions over order fields, a tag, and where it stops the order."""

    shop = models.ForeignKey("shops.Shop", on_delete=models.CASCADE, null=True, blank=True, related_name="rules")
    name = models.CharField(max_length=200)
    tag_code = models.SlugField(max_length=64)
    tag_label = models.CharField(max_length=100)
    match = models.CharField(max_length=3, choices=[(m.value, m.value) for m in Match], default=Match.ALL.value)
    #: [{"field": ..., "op": ..., "value": ...}, ...]
    conditions = models.JSONField(default=list)
    stop_at = models.CharField(max_length=20, blank=True, choices=STATUS_CHOICES)
    restrict_shipping = models.BooleanField(default=False)
    enabled = models.BooleanField(default=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


class OrderEvent(models.Model):
    """One entry of an order's timeline: a transition, a tag change, an effect result or an operator action."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    actor = models.CharField(max_length=150)
    kind = models.CharField(max_length=30)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    reason = models.CharField(max_length=1000, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]


class Effect(models.Model):
    """An outbox row: something to tell the outside world, sent after commit, once per ``key``."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="effects")
    kind = models.CharField(max_length=20, choices=[(k.value, k.label_ja) for k in EffectKind])
    #: The package or shipment the effect is about, when it is not the whole order.
    item_id = models.BigIntegerField(null=True, blank=True)
    key = models.CharField(max_length=100, unique=True)
    state = models.CharField(
        max_length=20, choices=[(s.value, s.value) for s in EffectState], default=EffectState.PENDING.value
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField()
    done_at = models.DateTimeField(null=True, blank=True)
    result = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [models.Index(fields=["state", "kind", "next_attempt_at"], name="effect_due")]


class OrderSearchTerm(models.Model):
    """One normalised search term of an order (its number, a name, a phone number, an e-mail); see search.py."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="search_terms", db_index=False)
    term = models.CharField(max_length=100)
    #: The order's ``ordered_at``, kept here so that a search reads its newest matches from this index alone.
    ordered_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["term", "ordered_at", "order"], name="order_search_term"),
            models.Index(fields=["order"], name="order_search_order"),
        ]


# Update tasks (更新タスク) live in their own module; imported here so that Django registers them.
from juchu.orders.task_models import TaskRule, TaskRuleRun, UpdateTask  # noqa: E402

__all__ = [
    "Effect",
    "Order",
    "OrderEvent",
    "OrderLine",
    "OrderSearchTerm",
    "OrderTag",
    "Package",
    "RemovedTag",
    "TagRule",
    "TaskRule",
    "TaskRuleRun",
    "UpdateTask",
]
