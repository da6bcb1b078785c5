"""Update tasks (更新タスク), the automatic rules that run them, and the record of each rule's run per order."""

from __future__ import annotations

from django.db import models

from juchu.domain.rules import Match


class UpdateTask(models.Model):
    """A named list of actions on an order's fields (at most 30), run by an operator or an automatic rule."""

    name = models.CharField(max_length=100, unique=True)
    description = models.CharField(max_length=500, blank=True)
    #: [{"kind": ..., "params": {name: text}, "mall_write": bool}, ...] in the order they run.
    actions = models.JSONField(default=list)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        app_label = "orders"
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class TaskRule(models.Model):
    """自動ルール: conditions (as in custom-tag rules) that run a task when an order leaves 新規受付."""

    shop = models.ForeignKey("shops.Shop", on_delete=models.CASCADE, null=True, blank=True, related_name="task_rules")
    name = models.CharField(max_length=200)
    match = models.CharField(max_length=3, choices=[(m.value, m.value) for m in Match], default=Match.ALL.value)
    #: [{"field": ..., "op": ..., "value": ...}, ...]
    conditions = models.JSONField(default=list)
    task = models.ForeignKey(UpdateTask, on_delete=models.PROTECT, related_name="rules")
    enabled = models.BooleanField(default=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        app_label = "orders"
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


class TaskRuleRun(models.Model):
    """An automatic rule ran (or was refused) for an order: it never runs for that order again."""

    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="task_rule_runs")
    rule = models.ForeignKey(TaskRule, on_delete=models.CASCADE, related_name="runs")
    at = models.DateTimeField()
    #: The task's name when it ran (the task may be renamed later).
    task_name = models.CharField(max_length=100)
    ok = models.BooleanField()
    message = models.CharField(max_length=1000, blank=True)

    class Meta:
        app_label = "orders"
        constraints = [models.UniqueConstraint(fields=["order", "rule"], name="uniq_task_rule_run")]
