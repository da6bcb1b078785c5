"""CSV upload and export screens (files/...) and mail screens (mail/...)."""

from django.urls import path

from juchu.web.views import files, mails, mails_templates, selfship

urlpatterns = [
    # ファイル
    path("files/", files.index, name="files-index"),
    path("files/orders/", files.orders_upload, name="files-orders"),
    path("files/orders/commit/", files.orders_commit, name="files-orders-commit"),
    path("files/shipments/export.csv", files.shipments_export, name="files-shipments-export"),
    path("files/rsl/", files.rsl_page, name="files-rsl"),
    path("files/rsl/export/", files.rsl_export, name="files-rsl-export"),
    path("files/rsl/import/", files.rsl_import, name="files-rsl-import"),
    path("files/rsl/exports/<str:name>", files.rsl_download, name="files-rsl-download"),
    # 自社出荷
    path("files/selfship/", selfship.selfship_page, name="files-selfship"),
    path("files/selfship/issue/", selfship.selfship_issue, name="files-selfship-issue"),
    path("files/selfship/import/", selfship.selfship_import, name="files-selfship-import"),
    path("files/selfship/batches/<int:pk>/", selfship.batch_page, name="files-selfship-batch"),
    path("files/selfship/batches/<int:pk>/slips.csv", selfship.batch_slips_csv, name="files-selfship-slips"),
    path("files/selfship/batches/<int:pk>/picking.pdf", selfship.batch_picking_pdf, name="files-selfship-picking"),
    path("files/selfship/batches/<int:pk>/notes.pdf", selfship.batch_notes_pdf, name="files-selfship-notes"),
    # 商品マッピング・商品・在庫 (after the fixed paths above, which these would otherwise swallow)
    path("files/<slug:kind>/import/", files.catalog_import, name="files-import"),
    path("files/<slug:kind>/export.csv", files.catalog_export, name="files-export"),
    # メール
    path("mail/", mails_templates.index, name="mail-index"),
    path("mail/shops/<int:pk>/templates/<slug:kind>/", mails_templates.template_edit, name="mail-template"),
    path(
        "mail/shops/<int:pk>/templates/<slug:kind>/preview/",
        mails_templates.template_preview,
        name="mail-template-preview",
    ),
    path(
        "mail/shops/<int:pk>/templates/<slug:kind>/reset/", mails_templates.template_reset, name="mail-template-reset"
    ),
    path("mail/shops/<int:pk>/smtp/", mails_templates.smtp_edit, name="mail-smtp"),
    path("mail/shops/<int:pk>/smtp/remove/", mails_templates.smtp_remove, name="mail-smtp-remove"),
    path("mail/outbox/", mails.outbox, name="mail-outbox"),
    path("mail/outbox/<int:pk>/", mails.mail_detail, name="mail-detail"),
    path("mail/outbox/<int:pk>/retry/", mails.mail_retry, name="mail-retry"),
]
