"""Warehouses, shipment requests (出荷依頼) and shipments (出荷) with their parcels."""

from __future__ import annotations

from datetime import time

from django.db import models

from juchu.connectors.registry import SELFSHIP
from juchu.crypto_fields import EncryptedJSONField
from juchu.domain.calendar import WarehouseCalendar


class Warehouse(models.Model):
    """A warehouse that ships orders: RSL, the shop's own (自社出荷), or a fake in tests."""

    code = models.SlugField(unique=True, max_length=40)
    name = models.CharField(max_length=200)
    #: Which connector speaks to it ("rsl", "selfship", "fake", or "" for none yet).
    connector = models.CharField(max_length=40, blank=True)
    api_base_url = models.URLField(blank=True)
    #: The warehouse API's keys (RSL: api key and merchant id), sealed at rest (juchu.crypto); never shown.
    credentials = EncryptedJSONField(default=dict, blank=True)
    cutoff = models.TimeField(default=time(15, 29))
    every_day = models.BooleanField(default=True, help_text="毎日出荷 (RSL)")
    observe_holidays = models.BooleanField(default=False, help_text="祝日は出荷しない")
    results_cursor = models.CharField(max_length=200, blank=True)
    last_poll_at = models.DateTimeField(null=True, blank=True)
    last_stock_sync_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    #: The own warehouse's slip settings (sender, carrier, account codes, services): selfship_settings.SlipSettings.
    slip_settings = models.JSONField(default=dict, blank=True)

    def __str__(self) -> str:
        return self.name

    @property
    def is_own(self) -> bool:
        """Whether this is the shop's own warehouse (自社出荷), which works by issued batches, not an API."""
        return self.connector == SELFSHIP

    def connector_settings(self) -> dict[str, str]:
        """What the warehouse connector is built from: base URL and credentials."""
        return {
            "base_url": self.api_base_url,
            "warehouse_code": self.code,
            **{k: str(v) for k, v in self.credentials.items()},
        }

    def calendar(self) -> WarehouseCalendar:
        """The domain calendar of this warehouse, closures included (one query)."""
        closures, open_days = set(), set()
        for day in self.closures.all():
            (open_days if day.is_open else closures).add(day.date)
        return WarehouseCalendar(
            cutoff=self.cutoff,
            every_day=self.every_day,
            observe_holidays=self.observe_holidays,
            closures=frozenset(closures),
            open_days=frozenset(open_days),
        )


class WarehouseClosure(models.Model):
    """A day the warehouse is closed (休業日), or open against its calendar when ``is_open``."""

    warehouse = models.ForeignKey(Warehouse, on_delete=models.CASCADE, related_name="closures")
    date = models.DateField()
    is_open = models.BooleanField(default=False)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["warehouse", "date"], name="uniq_closure")]


class RequestState(models.TextChoices):
    """Where a shipment request is on its way to the warehouse."""

    PENDING = "pending", "送信待ち"
    ACCEPTED = "accepted", "受付済"
    REJECTED = "rejected", "拒否"
    DROPPED = "dropped", "取消 (未送信)"
    WITHDRAWN = "withdrawn", "取下げ済"


class ShipmentRequest(models.Model):
    """One request to ship one package; ``request_id`` is the warehouse's idempotency key."""

    request_id = models.CharField(max_length=100, unique=True)
    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="shipment_requests")
    package = models.ForeignKey("orders.Package", on_delete=models.CASCADE, related_name="shipment_requests")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="requests")
    state = models.CharField(max_length=20, choices=RequestState.choices, default=RequestState.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    first_failure_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    warehouse_order_id = models.CharField(max_length=100, blank=True)
    ship_by = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="request_due")]


class Shipment(models.Model):
    """A package shipped by the warehouse: carrier, ship date and its parcels (tracking numbers)."""

    package = models.OneToOneField("orders.Package", on_delete=models.CASCADE, related_name="shipment")
    request = models.ForeignKey(ShipmentRequest, on_delete=models.PROTECT, related_name="shipments")
    carrier_code = models.CharField(max_length=20)
    carrier_name = models.CharField(max_length=100, blank=True)
    shipped_on = models.DateField()
    recorded_at = models.DateTimeField()


class Parcel(models.Model):
    """One box with its tracking number (お問い合わせ番号)."""

    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="parcels")
    tracking_number = models.CharField(max_length=64)
    lines = models.JSONField(default=list)


class SelfShipBatch(models.Model):
    """出荷指示: the requests an operator handed to the own warehouse at once, with their paperwork."""

    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="selfship_batches")
    issued_at = models.DateTimeField()
    issued_by = models.CharField(max_length=150)
    #: The day the parcels leave (出荷予定日 on the slips): the warehouse's ship-by day at issue time.
    ship_date = models.DateField()
    #: The carrier's Rakuten 配送会社コード at issue time (1001 ヤマト, 1002 佐川, 1003 日本郵便).
    carrier = models.CharField(max_length=10)

    class Meta:
        indexes = [models.Index(fields=["warehouse", "issued_at"], name="selfship_batch_recent")]

    def __str__(self) -> str:
        return f"出荷指示 #{self.pk}"


class SelfShipItem(models.Model):
    """One shipment request in a batch: the key on its slip, and why its slip row could not be written."""

    batch = models.ForeignKey(SelfShipBatch, on_delete=models.CASCADE, related_name="items")
    request = models.OneToOneField(ShipmentRequest, on_delete=models.PROTECT, related_name="selfship_item")
    #: お客様管理番号 on the slip (short enough for every carrier); the tracking import finds the request by it.
    slip_key = models.CharField(max_length=20, unique=True)
    #: Why the slip writer refused the row at issue (the operator writes that slip by hand), and in which column.
    slip_error = models.CharField(max_length=500, blank=True)
    slip_error_column = models.CharField(max_length=100, blank=True)
