from django.contrib import admin
from django.db import models

from juchu.fulfillment.models import Shipment, ShipmentRequest, Warehouse, WarehouseClosure


@admin.register(Warehouse)
class WarehouseAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "connector", "last_poll_at")
    # The credentials field is not editable, so the form never carries it; only the key names are shown.
    exclude = ("credentials",)
    readonly_fields = ("credentials_set",)
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    @admin.display(description="APIキー")
    def credentials_set(self, warehouse: Warehouse) -> str:
        """The names of the stored keys, never their values."""
        return ", ".join(f"{name}: 設定済み" for name in sorted(warehouse.credentials)) or "未設定"


admin.site.register(WarehouseClosure)
admin.site.register(ShipmentRequest)
admin.site.register(Shipment)
