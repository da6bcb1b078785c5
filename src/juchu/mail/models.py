"""Mails to buyers, kept as rows so each is sent once and can be read back."""

from __future__ import annotations

from django.db import models


class OutgoingMail(models.Model):
    """A rendered mail for one effect (thanks, shipping, cancel)."""

    effect = models.OneToOneField("orders.Effect", on_delete=models.CASCADE, related_name="mail")
    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="mails")
    kind = models.CharField(max_length=20)
    to = models.CharField(max_length=254)
    from_address = models.CharField(max_length=254)
    subject = models.CharField(max_length=300)
    body = models.TextField()
    message_id = models.CharField(max_length=200, unique=True)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
