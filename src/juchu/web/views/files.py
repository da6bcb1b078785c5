"""ファイル: 受注CSV取込 (upload, preview, commit), the catalogue CSVs, exports and the RSL CSV exchange.

An uploaded order file is kept on the server (``file_store``) between the preview and 取り込む, found again
by the user, the shop and a random token; the browser never names a path.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from juchu.csvio import catalog_files
from juchu.csvio.orders import commit_order_csv, preview_order_csv
from juchu.csvio.shipments import export_shipments
from juchu.fulfillment.file_exchange import export_requests, import_results
from juchu.shops.models import Shop
from juchu.web import file_store
from juchu.web.auth import Role, admin_required, has_role, operator_required, viewer_required
from juchu.web.forms_files import (
    CatalogUploadForm,
    ExportForm,
    OrderCommitForm,
    OrderUploadForm,
    RslResultForm,
    WarehouseForm,
)

#: The catalogue CSVs: title, the columns, and how to import and export each.
CATALOG_KINDS: dict[str, dict[str, Any]] = {
    "mappings": {
        "title": "商品マッピング",
        "columns": catalog_files.MAPPING_COLUMNS,
        "import": lambda data, now: catalog_files.import_mappings(data, now),
        "export": lambda form: catalog_files.export_mappings(form["shop"], form["encoding"]),
    },
    "products": {
        "title": "商品",
        "columns": catalog_files.PRODUCT_COLUMNS,
        "import": lambda data, now: catalog_files.import_products(data),
        "export": lambda form: catalog_files.export_products(form["encoding"]),
    },
    "stock": {
        "title": "在庫",
        "columns": catalog_files.STOCK_COLUMNS,
        "import": lambda data, now: catalog_files.import_stock(data, now),
        "export": lambda form: catalog_files.export_stock(form["warehouse"], form["encoding"]),
    },
}
#: Bad rows shown on one page; a file with more says how many were left out.
MAX_ERRORS_SHOWN = 2_000


def _csv_download(data: bytes, encoding: str, name: str) -> HttpResponse:
    """A CSV attachment named ``<name>_<JST stamp>.csv``."""
    charset = "utf-8" if encoding == "utf-8" else "Shift_JIS"
    response = HttpResponse(data, content_type=f"text/csv; charset={charset}")
    stamp = timezone.localtime().strftime("%Y%m%d_%H%M%S")
    response["Content-Disposition"] = f'attachment; filename="{name}_{stamp}.csv"'
    return response


@viewer_required
def index(request: HttpRequest) -> HttpResponse:
    """Every CSV in and out, with the export choices; imports are offered to the roles that may run them."""
    return render(
        request,
        "juchu/files/index.html",
        {
            "kinds": [(kind, spec["title"], spec["columns"]) for kind, spec in CATALOG_KINDS.items()],
            "export_form": ExportForm(),
            "shipment_form": ExportForm(shop_required=True),
            "can_import_orders": has_role(request.user, Role.OPERATOR),
            "can_import_catalog": has_role(request.user, Role.ADMIN),
        },
    )


@operator_required
def orders_upload(request: HttpRequest) -> HttpResponse:
    """受注CSV取込: the upload form; a POST reads the file and shows the preview (nothing imported yet)."""
    form = OrderUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        shop: Shop = form.cleaned_data["shop"]
        data: bytes = form.cleaned_data["file"]
        preview = preview_order_csv(shop, data)
        token = file_store.save_upload(request.user.pk, shop.pk, data) if preview.orders else ""
        return render(
            request,
            "juchu/files/orders_preview.html",
            {
                "shop": shop,
                "preview": preview,
                "errors": preview.errors[:MAX_ERRORS_SHOWN],
                "hidden_errors": max(0, len(preview.errors) - MAX_ERRORS_SHOWN),
                "commit_form": OrderCommitForm(initial={"shop": shop.pk, "token": token}),
                "filename": getattr(request.FILES.get("file"), "name", ""),
            },
        )
    return render(request, "juchu/files/orders_upload.html", {"form": form})


@operator_required
@require_POST
def orders_commit(request: HttpRequest) -> HttpResponse:
    """取り込む: import the good orders of the kept file, then forget the file."""
    form = OrderCommitForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest("ショップまたはファイルの指定が正しくありません")
    shop: Shop = form.cleaned_data["shop"]
    token = form.cleaned_data["token"]
    data = file_store.load_upload(request.user.pk, shop.pk, token)
    if data is None:
        messages.error(request, "取り込むファイルが見つかりません (取込済みか期限切れです)。もう一度選んでください")
        return redirect("files-orders")
    result = commit_order_csv(shop, data, request.user.get_username(), timezone.now())
    file_store.discard_upload(request.user.pk, shop.pk, token)
    return render(
        request,
        "juchu/files/orders_result.html",
        {
            "shop": shop,
            "result": result,
            "errors": result.errors[:MAX_ERRORS_SHOWN],
            "hidden_errors": max(0, len(result.errors) - MAX_ERRORS_SHOWN),
        },
    )


def _kind(kind: str) -> dict[str, Any]:
    spec = CATALOG_KINDS.get(kind)
    if spec is None:
        raise Http404("unknown CSV kind")
    return spec


@admin_required
def catalog_import(request: HttpRequest, kind: str) -> HttpResponse:
    """Import a mapping, product or stock CSV: the good rows are applied, the bad ones listed."""
    spec = _kind(kind)
    form = CatalogUploadForm(request.POST or None, request.FILES or None)
    context: dict[str, Any] = {"kind": kind, "title": spec["title"], "columns": spec["columns"], "form": form}
    if request.method == "POST" and form.is_valid():
        importer: Callable = spec["import"]
        result = importer(form.cleaned_data["file"], timezone.now())
        context.update(
            result=result,
            errors=result.errors[:MAX_ERRORS_SHOWN],
            hidden_errors=max(0, len(result.errors) - MAX_ERRORS_SHOWN),
            form=CatalogUploadForm(),
        )
    return render(request, "juchu/files/catalog_import.html", context)


@viewer_required
def catalog_export(request: HttpRequest, kind: str) -> HttpResponse:
    """Download the mappings, products or stock as CSV (CP932 unless UTF-8 is chosen)."""
    spec = _kind(kind)
    form = ExportForm(request.GET)
    if not form.is_valid():
        return HttpResponseBadRequest("; ".join(str(e) for errors in form.errors.values() for e in errors))
    return _csv_download(spec["export"](form.cleaned_data), form.cleaned_data["encoding"], kind)


@viewer_required
def shipments_export(request: HttpRequest) -> HttpResponse:
    """Download a shop's shipment results (出荷実績), one row per parcel, for a period of ship dates."""
    form = ExportForm(request.GET, shop_required=True)
    if not form.is_valid():
        return HttpResponseBadRequest("; ".join(str(e) for errors in form.errors.values() for e in errors))
    data = form.cleaned_data
    return _csv_download(
        export_shipments(data["shop"], data["since"], data["until"], data["encoding"]), data["encoding"], "shipments"
    )


@operator_required
def rsl_page(request: HttpRequest) -> HttpResponse:
    """RSL 出荷依頼・出荷実績 by CSV: export the due requests, import a result file, fetch a past export."""
    return render(
        request,
        "juchu/files/rsl.html",
        {
            "export_form": WarehouseForm(prefix="export"),
            "result_form": RslResultForm(prefix="result"),
            "exports": file_store.recent_exports(),
        },
    )


@operator_required
@require_POST
def rsl_export(request: HttpRequest) -> HttpResponse:
    """Write every due request of a warehouse into one file, kept on the server; they count as handed over."""
    form = WarehouseForm(request.POST, prefix="export")
    if not form.is_valid():
        return HttpResponseBadRequest("倉庫を選んでください")
    warehouse = form.cleaned_data["warehouse"]
    now = timezone.now()
    export = export_requests(warehouse, now)
    context: dict[str, Any] = {"warehouse": warehouse, "export": export, "name": ""}
    if export.exported:
        stamp = timezone.localtime(now).strftime("%Y%m%d-%H%M%S")
        context["name"] = file_store.save_export(warehouse.code, stamp, export.data)
    return render(request, "juchu/files/rsl_export.html", context)


@operator_required
def rsl_download(request: HttpRequest, name: str) -> HttpResponse:
    """A kept RSL request file (the same bytes as when it was exported)."""
    data = file_store.load_export(name)
    if data is None:
        raise Http404("no such export")
    response = HttpResponse(data, content_type="text/csv; charset=Shift_JIS")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@operator_required
@require_POST
def rsl_import(request: HttpRequest) -> HttpResponse:
    """Record the results in RSL's result CSV; the bad rows are listed and the rest recorded."""
    form = RslResultForm(request.POST, request.FILES, prefix="result")
    if not form.is_valid():
        context = {"export_form": WarehouseForm(prefix="export"), "result_form": form}
        return render(request, "juchu/files/rsl.html", {**context, "exports": file_store.recent_exports()})
    warehouse = form.cleaned_data["warehouse"]
    result, errors = import_results(warehouse, form.cleaned_data["file"], timezone.now())
    return render(request, "juchu/files/rsl_import.html", {"warehouse": warehouse, "result": result, "errors": errors})
