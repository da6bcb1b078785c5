from django.contrib import admin

from juchu.fulfillment.models import Shipment, ShipmentRequest, Warehouse, WarehouseClosure

admin.site.register(Warehouse)
admin.site.register(WarehouseClosure)
admin.site.register(ShipmentRequest)
admin.site.register(Shipment)
