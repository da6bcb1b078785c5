"""Settings screens (設定): shops, products, sets, mappings, rules, warehouses, users (administrators only)."""

from django.urls import path

from juchu.web.views import (
    settings_catalog,
    settings_index,
    settings_rules,
    settings_shops,
    settings_task_rules,
    settings_update_tasks,
    settings_users,
    settings_warehouses,
)

urlpatterns = [
    path("", settings_index.index, name="settings-index"),
    # ショップ
    path("shops/", settings_shops.shop_list, name="settings-shops"),
    path("shops/new/", settings_shops.shop_edit, name="settings-shop-new"),
    path("shops/<int:pk>/", settings_shops.shop_edit, name="settings-shop"),
    path("shops/<int:pk>/test/", settings_shops.connection_test, name="settings-shop-test"),
    path("shops/<int:pk>/delivery/", settings_shops.delivery_add, name="settings-delivery-add"),
    path(
        "shops/<int:pk>/delivery/<int:mapping_id>/delete/",
        settings_shops.delivery_delete,
        name="settings-delivery-delete",
    ),
    path("shops/<int:pk>/payment/", settings_shops.payment_add, name="settings-payment-add"),
    path(
        "shops/<int:pk>/payment/<int:mapping_id>/delete/",
        settings_shops.payment_delete,
        name="settings-payment-delete",
    ),
    # 商品・セット・商品マッピング
    path("products/", settings_catalog.product_list, name="settings-products"),
    path("products/new/", settings_catalog.product_edit, name="settings-product-new"),
    path("products/<int:pk>/", settings_catalog.product_edit, name="settings-product"),
    path("mappings/", settings_catalog.mapping_list, name="settings-mappings"),
    path("mappings/new/", settings_catalog.mapping_edit, name="settings-mapping-new"),
    path("mappings/<int:pk>/", settings_catalog.mapping_edit, name="settings-mapping"),
    path("mappings/<int:pk>/delete/", settings_catalog.mapping_delete, name="settings-mapping-delete"),
    # カスタムタグルール
    path("rules/", settings_rules.rule_list, name="settings-rules"),
    path("rules/new/", settings_rules.rule_edit, name="settings-rule-new"),
    path("rules/preview/", settings_rules.rule_preview, name="settings-rule-preview"),
    path("rules/<int:pk>/", settings_rules.rule_edit, name="settings-rule"),
    path("rules/<int:pk>/delete/", settings_rules.rule_delete, name="settings-rule-delete"),
    # 更新タスク・自動ルール
    path("tasks/", settings_update_tasks.task_list, name="settings-tasks"),
    path("tasks/new/", settings_update_tasks.task_edit, name="settings-task-new"),
    path("tasks/<int:pk>/", settings_update_tasks.task_edit, name="settings-task"),
    path("tasks/<int:pk>/delete/", settings_update_tasks.task_delete, name="settings-task-delete"),
    path("task-rules/", settings_task_rules.task_rule_list, name="settings-task-rules"),
    path("task-rules/new/", settings_task_rules.task_rule_edit, name="settings-task-rule-new"),
    path("task-rules/preview/", settings_task_rules.task_rule_preview, name="settings-task-rule-preview"),
    path("task-rules/<int:pk>/", settings_task_rules.task_rule_edit, name="settings-task-rule"),
    path("task-rules/<int:pk>/delete/", settings_task_rules.task_rule_delete, name="settings-task-rule-delete"),
    # 倉庫
    path("warehouses/", settings_warehouses.warehouse_list, name="settings-warehouses"),
    path("warehouses/<int:pk>/", settings_warehouses.warehouse_edit, name="settings-warehouse"),
    path("warehouses/add-own/", settings_warehouses.own_warehouse_add, name="settings-warehouse-add-own"),
    path("warehouses/<int:pk>/slips/", settings_warehouses.slip_settings_save, name="settings-warehouse-slips"),
    path("warehouses/<int:pk>/closures/", settings_warehouses.closure_add, name="settings-closure-add"),
    path(
        "warehouses/<int:pk>/closures/<int:closure_id>/delete/",
        settings_warehouses.closure_delete,
        name="settings-closure-delete",
    ),
    # ユーザー
    path("users/", settings_users.user_list, name="settings-users"),
    path("users/<int:pk>/", settings_users.user_detail, name="settings-user"),
    path("users/<int:pk>/role/", settings_users.user_role_change, name="settings-user-role"),
    path("users/<int:pk>/active/", settings_users.user_active, name="settings-user-active"),
    path("users/<int:pk>/password/", settings_users.user_password, name="settings-user-password"),
]
