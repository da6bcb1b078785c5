"""Keyset pages by id for the lists other than orders (products, mappings, stock, shipments)."""

from __future__ import annotations

from typing import Any, TypeVar

from django.db.models import Model, QuerySet
from ninja import Schema
from pydantic import Field

from juchu.api.schemas import MAX_ID, text
from juchu.orders.queries import FilterError, decode_cursor, encode_cursor

M = TypeVar("M", bound=Model)

DEFAULT_LIMIT = 100
MAX_LIMIT = 500


class PageParams(Schema):
    """Where a page starts and how long it is."""

    cursor: text(200) | None = Field(None, description="前の応答の next_cursor")
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)


def id_page(qs: QuerySet[M], cursor: str | None, limit: int, newest_first: bool = False) -> tuple[list[M], str | None]:
    """One page of ``qs`` in id order after the cursor's row, and the cursor of the next page (None at the end)."""
    if cursor:
        _value, pk, _backwards = decode_cursor(cursor)
        if not 1 <= pk <= MAX_ID:
            raise FilterError("cursor: ページ位置が壊れています。一覧を最初から開き直してください")
        qs = qs.filter(id__lt=pk) if newest_first else qs.filter(id__gt=pk)
    rows = list(qs.order_by("-id" if newest_first else "id")[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (encode_cursor(rows[-1].pk, rows[-1].pk) if more else None)


def page_payload(items: list[Any], next_cursor: str | None) -> dict[str, Any]:
    """The shape of every list answer."""
    return {"items": items, "next_cursor": next_cursor}
