"""Products (SKU), set products, mall item mappings (商品マッピング), stock and allocations (引当)."""

from __future__ import annotations

from django.db import models


class Product(models.Model):
    """A SKU the warehouse holds, or a set product made of components."""

    code = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=200, blank=True)
    is_set = models.BooleanField(default=False)
    price = models.IntegerField(default=0)

    def __str__(self) -> str:
        return self.code


class SetComponent(models.Model):
    """One component of a set product (セット商品構成)."""

    set_product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="components")
    component = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="in_sets")
    quantity = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["set_product", "component"], name="uniq_set_component")]


class MallItemMapping(models.Model):
    """A mall item (+ variant) of one shop → a SKU or set product."""

    shop = models.ForeignKey("shops.Shop", on_delete=models.CASCADE, related_name="item_mappings")
    mall_item_id = models.CharField(max_length=128)
    mall_variant_id = models.CharField(max_length=128, blank=True, default="")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="mappings")
    #: 在庫連動区分: whether the mall's stock for this item follows Juchu's (false = 9, do not sync).
    sync_stock = models.BooleanField(default=True)
    safety_stock = models.PositiveIntegerField(default=0)
    #: The quantity the mall last accepted for this item, and when.
    pushed_quantity = models.IntegerField(null=True, blank=True)
    pushed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["shop", "mall_item_id", "mall_variant_id"], name="uniq_item_mapping")
        ]

    def __str__(self) -> str:
        return f"{self.mall_item_id}/{self.mall_variant_id} → {self.product_id}"


class Stock(models.Model):
    """One SKU's stock in one warehouse: on hand and allocated to orders."""

    warehouse = models.ForeignKey("fulfillment.Warehouse", on_delete=models.CASCADE, related_name="stock")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="stock")
    on_hand = models.IntegerField(default=0)
    allocated = models.IntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["warehouse", "product"], name="uniq_stock"),
            models.CheckConstraint(condition=models.Q(allocated__gte=0), name="stock_allocated_non_negative"),
        ]

    @property
    def available(self) -> int:
        """Units that may still be allocated."""
        return self.on_hand - self.allocated


class Allocation(models.Model):
    """Units of one SKU reserved for one order line (a set line has one row per component)."""

    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="allocations")
    line = models.ForeignKey("orders.OrderLine", on_delete=models.CASCADE, related_name="allocations")
    warehouse = models.ForeignKey("fulfillment.Warehouse", on_delete=models.PROTECT)
    product = models.ForeignKey(Product, on_delete=models.PROTECT)
    quantity = models.PositiveIntegerField()
    created_at = models.DateTimeField()


class StockReconciliation(models.Model):
    """One run of the stock reconciliation (在庫照合) of a shop: the mall's stock against Juchu's.

    ``differences`` lists the mapped items whose quantity at the mall is not what Juchu says the mall should
    show: ``{"mapping_id", "key", "product", "juchu", "mall"}`` (``mall`` None: the mall holds no record).
    """

    shop = models.ForeignKey("shops.Shop", on_delete=models.CASCADE, related_name="stock_reconciliations")
    run_at = models.DateTimeField(db_index=True)
    checked = models.PositiveIntegerField(default=0)
    differences = models.JSONField(default=list)
    #: Why the run could not compare (the mall could not be read, or its connector cannot read stock).
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-run_at"]
        indexes = [models.Index(fields=["shop", "-run_at"], name="reconcile_shop_run")]

    def __str__(self) -> str:
        return f"{self.shop_id} {self.run_at:%Y-%m-%d %H:%M} ({len(self.differences)})"
