from django.contrib import admin

from juchu.orders.models import Effect, Order, OrderEvent, OrderLine, OrderTag, Package, TagRule


class PackageInline(admin.TabularInline):
    model = Package
    extra = 0


class LineInline(admin.TabularInline):
    model = OrderLine
    extra = 0
    raw_id_fields = ("product", "package")


class TagInline(admin.TabularInline):
    model = OrderTag
    extra = 0


class EventInline(admin.TabularInline):
    model = OrderEvent
    extra = 0
    readonly_fields = ("at", "actor", "kind", "from_status", "to_status", "reason")
    can_delete = False


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ("mall_order_number", "shop", "status", "explanation", "ordered_at", "due_at")
    list_filter = ("status", "shop")
    search_fields = ("mall_order_number", "buyer_name", "email", "phone")
    inlines = [PackageInline, LineInline, TagInline, EventInline]


admin.site.register(TagRule)
admin.site.register(Effect)
