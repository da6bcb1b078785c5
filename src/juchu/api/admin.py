from django.contrib import admin
from django.utils import timezone

from juchu.api.models import ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("prefix", "user", "name", "created_at", "last_used_at", "revoked_at")
    list_filter = ("revoked_at",)
    search_fields = ("prefix", "name", "user__username")
    readonly_fields = ("user", "prefix", "key_hash", "created_at", "last_used_at", "revoked_at")
    actions = ["revoke"]

    def has_add_permission(self, request) -> bool:  # tokens are issued by `juchu api-token`, shown once
        return False

    @admin.action(description="選択したトークンを失効させる")
    def revoke(self, request, queryset) -> None:
        """Revoke the selected tokens."""
        queryset.filter(revoked_at=None).update(revoked_at=timezone.now())
