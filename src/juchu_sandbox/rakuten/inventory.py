"""Inventory API 2.x operations (``/es/2.0`` and ``/es/2.1``): single get/put/delete, bulk-get, range, bulk-upsert."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from juchu_sandbox.rakuten.common import InventoryError, fmt_iso

if TYPE_CHECKING:
    from juchu_sandbox.rakuten.store import RakutenMall

MANAGE_NUMBER_RE = re.compile(r"^[a-zA-Z0-9_-]+$")
BULK_GET_MAX = 1000
BULK_UPSERT_MAX = 400


def _key(manage_number: Any, variant_id: Any, path: str = "") -> tuple[str, str]:
    if not isinstance(manage_number, str) or not manage_number:
        raise InventoryError(
            400,
            "IE0002",
            f"manageNumber has an invalid value : {manage_number}.",
            f"{path}manageNumber",
        )
    if len(manage_number.encode()) > 32:
        raise InventoryError(
            400,
            "IE0004",
            "manageNumber must be 32 bytes or less.",
            f"{path}manageNumber",
        )
    if not MANAGE_NUMBER_RE.match(manage_number):
        raise InventoryError(
            400,
            "IE0002",
            f"manageNumber has an invalid value : {manage_number}.",
            f"{path}manageNumber",
        )
    if not isinstance(variant_id, str) or not variant_id:
        raise InventoryError(
            400,
            "IE0002",
            f"variantId has an invalid value : {variant_id}.",
            f"{path}variantId",
        )
    if len(variant_id.encode()) > 32:
        raise InventoryError(400, "IE0004", "variantId must be 32 bytes or less.", f"{path}variantId")
    return manage_number.lower(), variant_id


def _view(key: tuple[str, str], record: dict[str, Any]) -> dict[str, Any]:
    return {
        "manageNumber": key[0],
        "variantId": key[1],
        "quantity": record["quantity"],
        "created": fmt_iso(record["created"]),
        "updated": fmt_iso(record["updated"]),
    }


def _new_quantity(mall: RakutenMall, key: tuple[str, str], body: Any, path: str = "") -> int:
    if not isinstance(body, dict):
        raise InventoryError(
            400,
            "IE0002",
            "request body has an invalid value.",
            path.rstrip(".") or None,
        )
    mode = body.get("mode")
    quantity = body.get("quantity")
    if mode not in ("ABSOLUTE", "RELATIVE"):
        raise InventoryError(400, "IE0002", f"mode has an invalid value : {mode}.", f"{path}mode")
    if not isinstance(quantity, int) or isinstance(quantity, bool):
        raise InventoryError(
            400,
            "IE0002",
            f"quantity has an invalid value : {quantity}.",
            f"{path}quantity",
        )
    record = mall.inventory.get(key)
    if mode == "RELATIVE":
        if record is None:
            raise InventoryError(
                400,
                "IE0002",
                "mode has an invalid value : RELATIVE (no inventory yet).",
                f"{path}mode",
            )
        quantity = record["quantity"] + quantity
    if not 0 <= quantity <= 99999:
        raise InventoryError(400, "IE0003", "quantity is out of range (0-99999).", f"{path}quantity")
    return quantity


def get_one(mall: RakutenMall, manage_number: str, variant_id: str) -> tuple[int, Any]:
    key = _key(manage_number, variant_id)
    with mall.locked():
        record = mall.inventory.get(key)
        if record is None:
            raise InventoryError(404, "GE0014", "The specified resource was not found.")
        return 200, _view(key, record)


def put_one(mall: RakutenMall, manage_number: str, variant_id: str, body: Any) -> tuple[int, Any]:
    key = _key(manage_number, variant_id)
    with mall.locked():
        mall.set_stock(
            key,
            _new_quantity(mall, key, body),
            f"PUT {body.get('mode')} {body.get('quantity')}",
        )
    return 204, None


def delete_one(mall: RakutenMall, manage_number: str, variant_id: str) -> tuple[int, Any]:
    key = _key(manage_number, variant_id)
    with mall.locked():
        if key not in mall.inventory:
            raise InventoryError(404, "GE0014", "The specified resource was not found.")
        del mall.inventory[key]
        mall.stock_changes.append(
            {
                "time": fmt_iso(mall.now()),
                "manageNumber": key[0],
                "variantId": key[1],
                "before": None,
                "after": None,
                "delta": 0,
                "source": "DELETE",
            }
        )
    return 204, None


def bulk_get(mall: RakutenMall, body: Any) -> tuple[int, Any]:
    wanted = body.get("inventories") if isinstance(body, dict) else None
    if not isinstance(wanted, list) or not wanted:
        raise InventoryError(400, "IE0002", "inventories has an invalid value.", "inventories")
    if len(wanted) > BULK_GET_MAX:
        raise InventoryError(
            400,
            "IE0002",
            f"inventories must have {BULK_GET_MAX} items or less.",
            "inventories",
        )
    keys = [
        _key(
            (w or {}).get("manageNumber"),
            (w or {}).get("variantId"),
            f"inventories[{i}].",
        )
        for i, w in enumerate(wanted)
    ]
    with mall.locked():
        return 200, {"inventories": [_view(k, mall.inventory[k]) for k in keys if k in mall.inventory]}


def bulk_get_range(mall: RakutenMall, min_quantity: str | None, max_quantity: str | None) -> tuple[int, Any]:
    try:
        low = int(min_quantity) if min_quantity not in (None, "") else 0
        high = int(max_quantity) if max_quantity not in (None, "") else 99999
    except ValueError:
        raise InventoryError(
            400,
            "IE0002",
            "minQuantity/maxQuantity has an invalid value.",
            "minQuantity",
        ) from None
    with mall.locked():
        if len(mall.inventory) > BULK_GET_MAX:
            raise InventoryError(400, "IE0002", "the shop has more than 1000 SKUs; use bulk-get.", None)
        rows = [(r["updated"], k, r) for k, r in mall.inventory.items() if low <= r["quantity"] <= high]
        rows.sort(key=lambda row: row[0], reverse=True)
        return 200, {"inventories": [_view(k, r) for _u, k, r in rows]}


def bulk_upsert(mall: RakutenMall, body: Any) -> tuple[int, Any]:
    """All-or-nothing: every entry is validated before any stock moves. 204 on success."""
    entries = body.get("inventories") if isinstance(body, dict) else None
    if not isinstance(entries, list) or not entries:
        raise InventoryError(400, "IE0002", "inventories has an invalid value.", "inventories")
    if len(entries) > BULK_UPSERT_MAX:
        raise InventoryError(
            400,
            "IE0002",
            f"inventories must have {BULK_UPSERT_MAX} items or less.",
            "inventories",
        )
    with mall.locked():
        planned: dict[tuple[str, str], int] = {}
        for i, entry in enumerate(entries):
            path = f"inventories[{i}]."
            if not isinstance(entry, dict):
                raise InventoryError(
                    400,
                    "IE0002",
                    "inventory has an invalid value.",
                    f"inventories[{i}]",
                )
            key = _key(entry.get("manageNumber"), entry.get("variantId"), path)
            if key in planned:
                raise InventoryError(400, "IE0002", "the same SKU appears twice.", f"{path}variantId")
            planned[key] = _new_quantity(mall, key, entry, path)
        for (key, quantity), entry in zip(planned.items(), entries, strict=True):
            mall.set_stock(key, quantity, f"bulk-upsert {entry['mode']} {entry['quantity']}")
    return 204, None
