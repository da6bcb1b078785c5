"""The site's URLs: the workbench, settings, files and mail screens, the REST API, the admin."""

from pathlib import Path

from django.contrib import admin
from django.urls import include, path, re_path
from django.views.static import serve

from juchu.web.views import (
    accounts,
    bulk,
    health,
    manual,
    order_detail,
    order_list,
    order_tasks,
    settings_users,
    status,
    top,
)
from juchu.web.views import metrics as delivery_metrics

STATIC_DIR = Path(__file__).resolve().parent / "static"

urlpatterns = [
    path("", top.top_page, name="top"),
    path("login/", accounts.LoginView.as_view(), name="login"),
    path("logout/", accounts.logout_view, name="logout"),
    path("language/", accounts.set_language, name="set-language"),
    path("orders/", order_list.order_list, name="order-list"),
    path("orders/counts/", order_list.tab_counts_fragment, name="order-counts"),
    path("orders/bulk/", bulk.bulk_action, name="order-bulk"),
    path("orders/export.csv", bulk.export_csv, name="order-export"),
    path("orders/new/", manual.new_order, name="order-new"),
    path("orders/<int:pk>/", order_detail.order_page, name="order-detail"),
    path("orders/<int:pk>/action/<slug:action>/", order_detail.order_action, name="order-action"),
    path("orders/<int:pk>/packages/<int:package_id>/edit/", order_detail.edit_package, name="order-edit-package"),
    path("orders/<int:pk>/lines/<int:line_id>/edit/", order_detail.edit_line, name="order-edit-line"),
    path("orders/<int:pk>/task/", order_tasks.run_task, name="order-run-task"),
    # The user page's token revocation sits here with the other security URLs (settings_users.token_revoke).
    path(
        "settings/users/<int:pk>/tokens/<int:token_id>/revoke/",
        settings_users.token_revoke,
        name="settings-user-token-revoke",
    ),
    # 配送品質 (delivery quality): not under /metrics, which is the Prometheus exposition (a proxy may block it).
    path("quality/", delivery_metrics.metrics_page, name="delivery-metrics"),
    path("quality/export.csv", delivery_metrics.export_csv, name="delivery-metrics-export"),
    path("settings/", include("juchu.web.urls_settings")),
    path("", include("juchu.web.urls_files")),
    path("api/v1/", include("juchu.api.urls")),
    path("status.json", status.pipeline_status, name="pipeline-status"),
    path("healthz", health.healthz, name="healthz"),
    path("metrics", health.metrics, name="metrics"),
    # The admin logs in through our login page, so its lock-out applies there too.
    path("admin/login/", accounts.AdminLoginView.as_view(), name="admin-login"),
    path("admin/", admin.site.urls),
    # Our own few static files (htmx, the stylesheet), served by the app so the embedded runtime needs no proxy.
    re_path(r"^static/(?P<path>.*)$", serve, {"document_root": STATIC_DIR}),
]

__all__ = ["urlpatterns"]
