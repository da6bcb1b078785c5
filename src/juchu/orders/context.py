"""Per-sweep caches of what decisions need besides the order: policies, rules, calendars, sets, clocks."""

from __future__ import annotations

from datetime import datetime, timedelta

from juchu.catalog.models import SetComponent
from juchu.connectors.registry import SELFSHIP
from juchu.domain.calendar import JST, WarehouseCalendar
from juchu.domain.checks import CheckContext
from juchu.domain.errors import RuleError
from juchu.domain.model import OrderSnapshot, ShopPolicy
from juchu.domain.pipeline import PipelineContext
from juchu.domain.rules import Condition, Match, Operator, Rule, validate_rule
from juchu.domain.status import OrderStatus
from juchu.fulfillment.models import Warehouse
from juchu.orders import postal
from juchu.orders.models import TagRule
from juchu.shops.models import Shop


def rule_from_row(row: TagRule) -> Rule:
    """The domain rule of a stored TagRule; raises RuleError when it is malformed."""
    try:
        conditions = tuple(
            Condition(field=c["field"], op=Operator(c["op"]), value=str(c.get("value", ""))) for c in row.conditions
        )
        rule = Rule(
            id=row.pk,
            tag_code=row.tag_code,
            tag_label=row.tag_label,
            conditions=conditions,
            match=Match(row.match),
            stop_at=OrderStatus(row.stop_at) if row.stop_at else None,
            restrict_shipping=row.restrict_shipping,
            enabled=row.enabled,
        )
    except (KeyError, ValueError, TypeError) as exc:
        raise RuleError(f"ルール「{row.name}」の条件が不正です: {exc}") from exc
    validate_rule(rule)
    return rule


class SweepContext:
    """Reads each shop's policy and rules and each warehouse's calendar once per sweep."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self._policies: dict[int, ShopPolicy] = {}
        self._rules: dict[int, tuple[Rule, ...]] = {}
        self._calendars: dict[int, WarehouseCalendar] = {}
        self._global_rules: tuple[Rule, ...] | None = None
        self._pipelines: dict[tuple[int, int], PipelineContext] = {}
        self._split: dict[int, int | None] = {}
        self._own: frozenset[int] | None = None

    def policy(self, shop_id: int) -> ShopPolicy:
        """The shop's policy."""
        if shop_id not in self._policies:
            self._policies[shop_id] = Shop.objects.get(pk=shop_id).policy()
        return self._policies[shop_id]

    def split_warehouse(self, shop_id: int) -> int | None:
        """The shop's 分割出荷 warehouse (used when its own cannot fill an order), or None."""
        if shop_id not in self._split:
            self._split[shop_id] = Shop.objects.filter(pk=shop_id).values_list("split_warehouse_id", flat=True).first()
        return self._split[shop_id]

    def rules(self, shop_id: int) -> tuple[Rule, ...]:
        """Enabled rules for the shop (its own and those for every shop); malformed rules are skipped."""
        if shop_id not in self._rules:
            rows = TagRule.objects.filter(enabled=True).filter(shop_id__in=[shop_id]) | TagRule.objects.filter(
                enabled=True, shop__isnull=True
            )
            rules = []
            for row in rows.order_by("position", "id"):
                try:
                    rules.append(rule_from_row(row))
                except RuleError:
                    continue  # shown on the rule's settings page; never blocks the pipeline
            self._rules[shop_id] = tuple(rules)
        return self._rules[shop_id]

    def calendar(self, warehouse_id: int) -> WarehouseCalendar:
        """The warehouse's shipping calendar."""
        if warehouse_id not in self._calendars:
            self._calendars[warehouse_id] = Warehouse.objects.get(pk=warehouse_id).calendar()
        return self._calendars[warehouse_id]

    def pipeline(self, order: OrderSnapshot, warehouse_id: int) -> PipelineContext:
        """The decision context of one order (the same object for every order of a shop and warehouse)."""
        key = (order.shop_id, warehouse_id)
        found = self._pipelines.get(key)
        if found is None:
            found = self._pipelines[key] = self._pipeline(order.shop_id, warehouse_id)
        return found

    def _pipeline(self, shop_id: int, warehouse_id: int) -> PipelineContext:
        calendar = self.calendar(warehouse_id)
        checks = CheckContext(
            now=self.now,
            policy=self.policy(shop_id),
            postal=postal.lookup,
            earliest_delivery=calendar.earliest_delivery_date(self.now),
            ship_by_today=calendar.ships_today(self.now),
        )
        return PipelineContext(
            checks=checks,
            rules=self.rules(shop_id),
            review_at=self.review_at(calendar),
            own_warehouses=self.own_warehouses(),
        )

    def own_warehouses(self) -> frozenset[int]:
        """The own warehouses (自社出荷: requests wait for a batch, not an API)."""
        if self._own is None:
            self._own = frozenset(Warehouse.objects.filter(connector=SELFSHIP).values_list("id", flat=True))
        return self._own

    def review_at(self, calendar: WarehouseCalendar) -> datetime:
        """When stopped orders are looked at again: the next cutoff or the next JST midnight."""
        local = self.now.astimezone(JST)
        midnight = (local + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
        return min(calendar.next_cutoff(self.now), midnight.astimezone(self.now.tzinfo))


def set_components(codes: set[str]) -> dict[str, tuple[tuple[str, int], ...]]:
    """The components of those of ``codes`` that are set products (one query)."""
    found: dict[str, list[tuple[str, int]]] = {}
    for set_code, component, quantity in SetComponent.objects.filter(set_product__code__in=codes).values_list(
        "set_product__code", "component__code", "quantity"
    ):
        found.setdefault(set_code, []).append((component, quantity))
    return {code: tuple(parts) for code, parts in found.items()}
