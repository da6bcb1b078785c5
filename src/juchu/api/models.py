"""API tokens: a user's key to the REST API, stored only as a SHA-256 hash."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class ApiToken(models.Model):
    """One API token of one user; the token itself is shown once and never stored (only its hash)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, blank=True, help_text="用途 (例: 出荷連携スクリプト)")
    #: The token's first characters, to tell tokens apart in lists (never enough to use it).
    prefix = models.CharField(max_length=16, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name or '-'})"

    @property
    def active(self) -> bool:
        """Whether the token still opens the API."""
        return self.revoked_at is None
