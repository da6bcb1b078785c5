"""Leases: one worker at a time per (stage, shop) sweep; a dead worker's lease expires."""

from __future__ import annotations

from django.db import models


class Lease(models.Model):
    """Who runs the sweep of ``stage`` for ``scope`` (a shop or warehouse id; 0 for all) until ``expires_at``."""

    stage = models.CharField(max_length=30)
    scope = models.BigIntegerField(default=0)
    holder = models.CharField(max_length=100, blank=True)
    expires_at = models.DateTimeField()
    runs = models.BigIntegerField(default=0)
    last_run_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["stage", "scope"], name="uniq_lease")]
