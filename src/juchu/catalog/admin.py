from django.contrib import admin

from juchu.catalog.models import MallItemMapping, Product, SetComponent, Stock


class ComponentInline(admin.TabularInline):
    model = SetComponent
    fk_name = "set_product"
    extra = 0


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "is_set")
    search_fields = ("code", "name")
    inlines = [ComponentInline]


admin.site.register(MallItemMapping)
admin.site.register(Stock)
