"""自動ルール: conditions (the custom-tag condition language of :mod:`juchu.domain.rules`) that run an update task.

Semantics, in one place:

* A rule is considered once per order, when the order leaves 新規受付 (its grace period is over), before
  the system tags and the custom-tag rules decide where it goes next — so the checks see what the task
  changed. A rule that already ran for an order (recorded by the caller) never runs for it again.
* Every matching active rule runs, in rule order. Conditions are evaluated on the order as it left
  新規受付, before any task of this pass changed it: a rule never depends on another rule's task.
* A rule for one shop concerns that shop's orders only; a rule without a shop concerns every shop.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from juchu.domain.errors import RuleError
from juchu.domain.model import OrderSnapshot, OrderType
from juchu.domain.rules import Condition, Match, Rule, rule_matches, validate_rule
from juchu.domain.status import OrderStatus

#: The tag code the condition compiler is given: a task rule attaches no tag, it only borrows the conditions.
_NO_TAG = "update-task"


@dataclass(frozen=True, slots=True)
class TaskRule:
    """A rule that runs the task ``task_id`` on the orders its conditions match when they leave 新規受付."""

    id: int
    name: str
    task_id: int
    conditions: tuple[Condition, ...]
    match: Match = Match.ALL
    #: The shop whose orders it concerns; None for every shop.
    shop_id: int | None = None
    enabled: bool = True


def _as_condition_rule(rule: TaskRule) -> Rule:
    return Rule(id=rule.id, tag_code=_NO_TAG, tag_label=rule.name, conditions=rule.conditions, match=rule.match)


def validate_task_rule(rule: TaskRule) -> None:
    """Raise :class:`RuleError`, naming the field, operator and value, unless the rule can be evaluated."""
    if not rule.conditions:
        raise RuleError(f"自動ルール「{rule.name}」: 条件がありません")
    validate_rule(_as_condition_rule(rule))


def task_rule_matches(rule: TaskRule, order: OrderSnapshot) -> bool:
    """Whether the rule's shop and conditions hold for ``order`` (ignores ``enabled``)."""
    if rule.shop_id is not None and rule.shop_id != order.shop_id:
        return False
    return rule_matches(_as_condition_rule(rule), order)


def rules_to_run(rules: Iterable[TaskRule], order: OrderSnapshot, already_ran: frozenset[int]) -> tuple[TaskRule, ...]:
    """The active rules that match ``order`` and have not yet run for it, in the given (rule) order.

    Raises :class:`RuleError` for a rule that does not validate; callers drop those when loading.
    """
    return tuple(
        rule for rule in rules if rule.enabled and rule.id not in already_ran and task_rule_matches(rule, order)
    )


def leaving_new(order: OrderSnapshot, grace_period: timedelta, now: datetime) -> bool:
    """Whether the pipeline takes ``order`` out of 新規受付 now (pipeline.md §2 new: grace over, not cancelled)."""
    if order.status is not OrderStatus.NEW or order.mall_cancelled:
        return False
    return order.order_type is not OrderType.NORMAL or now >= order.ordered_at + grace_period


def preview_task_rule(rule: TaskRule, orders: Sequence[OrderSnapshot]) -> list[OrderSnapshot]:
    """The orders the rule's conditions match (whatever their status), for the editor's preview."""
    validate_task_rule(rule)
    return [order for order in orders if task_rule_matches(rule, order)]
