"""Item mapping (商品マッピング), product and stock CSVs: import with a reason per bad row, and export.

The mapping layout is the one shops know from other OMSs: 削除フラグ, ショップID, SKUコード, モール商品ID,
サブコード (the mall's variant, e.g. Rakuten's SKU管理番号), 在庫連動区分 (0 or blank: Juchu sets the mall's
stock; 9: it does not). Bad rows are listed and the good rows are applied.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from juchu.catalog.file_import import (
    Applied,
    MappingRow,
    ProductRow,
    StockRow,
    apply_mappings,
    apply_products,
    apply_stock,
)
from juchu.catalog.models import MallItemMapping, Product, Stock
from juchu.csvio.text import FileRejected, RowError, clean, decode, flag, header_index, integer, read_rows, writer_bytes
from juchu.fulfillment.models import Warehouse
from juchu.shops.models import Shop

MAPPING_COLUMNS = ("削除フラグ", "ショップID", "SKUコード", "モール商品ID", "サブコード", "在庫連動区分", "安全在庫数")
MAPPING_REQUIRED = ("ショップID", "SKUコード", "モール商品ID")
PRODUCT_COLUMNS = ("SKUコード", "商品名", "価格")
STOCK_COLUMNS = ("倉庫コード", "SKUコード", "在庫数")
STOCK_EXPORT_COLUMNS = (*STOCK_COLUMNS, "引当数", "有効在庫数")
#: 在庫連動区分: 0 (or blank) = sync the mall's stock, 9 = do not.
SYNC_CODES = {"": True, "0": True, "9": False}

T = TypeVar("T")


@dataclass
class FileResult:
    """Rows read, what applying the good ones did, and the bad rows."""

    rows: int = 0
    applied: Applied = field(default_factory=Applied)
    errors: list[RowError] = field(default_factory=list)


def _read(
    data: bytes, required: tuple[str, ...], optional: tuple[str, ...], parse: Callable[[int, dict[str, str]], T]
) -> tuple[list[T], FileResult]:
    """Rows parsed by ``parse`` (which raises ValueError("column: reason")), and the bad ones."""
    result = FileResult()
    parsed: list[T] = []
    try:
        rows = read_rows(decode(data))
        first = next(rows, None)
        if first is None:
            raise FileRejected(RowError(1, "", "ヘッダー行がありません (空のファイルです)"))
        index = header_index(first[1], required, optional)
        for row, cells in rows:
            result.rows += 1
            values = {name: cells[i].strip() if i < len(cells) else "" for name, i in index.items()}
            try:
                parsed.append(parse(row, values))
            except ValueError as exc:
                column, _, reason = str(exc).partition(": ")
                result.errors.append(RowError(row, column, reason))
    except FileRejected as exc:
        return [], FileResult(errors=[exc.error])
    return parsed, result


def _cell(values: dict[str, str], name: str, limit: int, required: bool = True) -> str:
    try:
        value = clean(values.get(name, ""), limit)
    except ValueError as exc:
        raise ValueError(f"{name}: {exc}") from None
    if required and not value:
        raise ValueError(f"{name}: 必須です")
    return value


def _number(values: dict[str, str], name: str, maximum: int = 999_999_999) -> int | None:
    if not values.get(name, ""):
        return None
    try:
        return integer(values[name], 0, maximum)
    except ValueError as exc:
        raise ValueError(f"{name}: {exc}") from None


def import_mappings(data: bytes, now: datetime) -> FileResult:
    """Apply a mapping CSV: create, update (SKU, 在庫連動区分, 安全在庫数) or delete (削除フラグ 1) mappings."""
    shops = dict(Shop.objects.values_list("code", "id"))
    products = {p.code: p for p in Product.objects.all()}

    def parse(row: int, v: dict[str, str]) -> MappingRow:
        try:
            delete = flag(v.get("削除フラグ", ""))
        except ValueError as exc:
            raise ValueError(f"削除フラグ: {exc}") from None
        shop_code = _cell(v, "ショップID", 40)
        if shop_code not in shops:
            raise ValueError(f"ショップID: ショップ '{shop_code}' は登録されていません")
        code = _cell(v, "SKUコード", 64)
        if not delete and code not in products:
            raise ValueError(f"SKUコード: SKU '{code}' は登録されていません (先に商品CSVで登録してください)")
        sync = SYNC_CODES.get(unicodedata.normalize("NFKC", v.get("在庫連動区分", "")).strip())
        if sync is None:
            raise ValueError(f"在庫連動区分: '{v['在庫連動区分']}' は 0 (連動する) か 9 (連動しない) にしてください")
        return MappingRow(
            row,
            delete,
            shops[shop_code],
            code,
            _cell(v, "モール商品ID", 128),
            _cell(v, "サブコード", 128, required=False),
            sync,
            _number(v, "安全在庫数", 999_999),
        )

    rows, result = _read(data, MAPPING_REQUIRED, tuple(c for c in MAPPING_COLUMNS if c not in MAPPING_REQUIRED), parse)
    result.errors += _repeated(rows, lambda r: (r.shop_id, r.mall_item_id, r.mall_variant_id), "モール商品ID")
    bad = {e.row for e in result.errors}
    result.applied = apply_mappings([r for r in rows if r.row not in bad], products, now)
    return result


def _repeated(rows: list, key: Callable, column: str) -> list[RowError]:
    """Rows naming the same thing twice: the second is refused, since which one should win is unclear."""
    first: dict[object, int] = {}
    errors = []
    for r in rows:
        k = key(r)
        if k in first:
            errors.append(RowError(r.row, column, f"{first[k]} 行目と同じ対象です (1ファイルに1行にしてください)"))
        else:
            first[k] = r.row
    return errors


def export_mappings(shop: Shop | None = None, encoding: str = "cp932") -> bytes:
    """Every mapping (of one shop) in the mapping layout, 削除フラグ 0."""
    query = MallItemMapping.objects.select_related("shop", "product").order_by(
        "shop__code", "mall_item_id", "mall_variant_id"
    )
    if shop is not None:
        query = query.filter(shop=shop)
    rows = (
        [0, m.shop.code, m.product.code, m.mall_item_id, m.mall_variant_id, 0 if m.sync_stock else 9, m.safety_stock]
        for m in query.iterator(chunk_size=2000)
    )
    return writer_bytes([MAPPING_COLUMNS, *rows], encoding)


def import_products(data: bytes) -> FileResult:
    """Create or update products (SKU) from a product CSV."""

    def parse(row: int, v: dict[str, str]) -> ProductRow:
        return ProductRow(row, _cell(v, "SKUコード", 64), _cell(v, "商品名", 200, required=False), _number(v, "価格"))

    rows, result = _read(data, ("SKUコード",), ("商品名", "価格"), parse)
    result.errors += _repeated(rows, lambda r: r.code, "SKUコード")
    bad = {e.row for e in result.errors}
    result.applied = apply_products([r for r in rows if r.row not in bad])
    return result


def export_products(encoding: str = "cp932") -> bytes:
    """Every product in the product layout."""
    rows = ([p.code, p.name, p.price] for p in Product.objects.order_by("code").iterator(chunk_size=2000))
    return writer_bytes([PRODUCT_COLUMNS, *rows], encoding)


def import_stock(data: bytes, now: datetime) -> FileResult:
    """Set on-hand stock counts (棚卸) from a stock CSV."""
    warehouses = dict(Warehouse.objects.values_list("code", "id"))
    products = {p.code: p for p in Product.objects.all()}

    def parse(row: int, v: dict[str, str]) -> StockRow:
        code = _cell(v, "倉庫コード", 40)
        if code not in warehouses:
            raise ValueError(f"倉庫コード: 倉庫 '{code}' は登録されていません")
        sku = _cell(v, "SKUコード", 64)
        if sku not in products:
            raise ValueError(f"SKUコード: SKU '{sku}' は登録されていません")
        if products[sku].is_set:
            raise ValueError(f"SKUコード: '{sku}' はセット商品です (在庫は構成品に登録してください)")
        on_hand = _number(v, "在庫数")
        if on_hand is None:
            raise ValueError("在庫数: 必須です")
        return StockRow(row, warehouses[code], sku, on_hand)

    rows, result = _read(data, STOCK_COLUMNS, (), parse)
    result.errors += _repeated(rows, lambda r: (r.warehouse_id, r.product_code), "SKUコード")
    bad = {e.row for e in result.errors}
    result.applied = apply_stock([r for r in rows if r.row not in bad], products, now)
    return result


def export_stock(warehouse: Warehouse | None = None, encoding: str = "cp932") -> bytes:
    """Stock per warehouse and SKU, with allocated and available units."""
    query = Stock.objects.select_related("warehouse", "product").order_by("warehouse__code", "product__code")
    if warehouse is not None:
        query = query.filter(warehouse=warehouse)
    rows = (
        [s.warehouse.code, s.product.code, s.on_hand, s.allocated, s.on_hand - s.allocated]
        for s in query.iterator(chunk_size=2000)
    )
    return writer_bytes([STOCK_EXPORT_COLUMNS, *rows], encoding)
