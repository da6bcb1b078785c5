"""``{% update_task_choices as tasks %}``: the update tasks an operator may run, for the order list and page."""

from __future__ import annotations

from django import template

from juchu.orders.task_models import UpdateTask

register = template.Library()


@register.simple_tag
def update_task_choices() -> list[tuple[int, str]]:
    """(id, name) of every update task, by name."""
    return list(UpdateTask.objects.order_by("name", "id").values_list("pk", "name"))
