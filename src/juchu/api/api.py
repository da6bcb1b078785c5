"""The REST API: one NinjaAPI under /api/v1 with its routers and error handlers."""

from __future__ import annotations

from ninja import NinjaAPI

from juchu.api import catalog, errors, fulfillment, orders, shops

DESCRIPTION = """Juchu (受注) の REST API。

すべての呼び出しに `Authorization: Bearer <APIトークン>` が必要です (`juchu api-token --user NAME` で発行)。
閲覧 (viewer) は GET のみ、オペレーターは注文の操作、管理者はショップ・商品・商品マッピングの変更ができます。
一覧は `items` と `next_cursor` を返します。次のページは `cursor=<next_cursor>` で取得します。
エラーは `{"detail": "...", "errors": [{"field": "...", "message": "..."}]}` です。
"""

api = NinjaAPI(title="Juchu API", version="1", description=DESCRIPTION, urls_namespace="api")
errors.install(api)
api.add_router("", orders.router)
api.add_router("", shops.router)
api.add_router("", catalog.router)
api.add_router("", fulfillment.router)
