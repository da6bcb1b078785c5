"""Shared warehouse ground: constants, ``RslError``, time helpers, and the settings, stock, item and plan records."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

JST = timezone(timedelta(hours=9), "JST")
SHIP_CUTOFF = time(15, 30)  # accepted before 15:30:00 (i.e. by 15:29:59) → ships that day
INBOUND_CUTOFF = time(14, 0)  # registered before 14:00:00 (by 13:59:59) → arrives the next day
INBOUND_ARRIVAL_TIME = time(10, 0)  # the truck comes at 10:00 JST on the arrival day
CARRIER_CODE = "1029"
CARRIER_NAME = "日本郵便 楽天倉庫出荷"
DEFAULT_API_KEY = "sandbox-rsl-key"
DEFAULT_MERCHANT = "sandbox-merchant"
MAX_BATCH = 100
MAX_RESULTS_LIMIT = 500
INVENTORY_PAGE_SIZE = 100
DELIVERY_DATE_HORIZON_DAYS = 30
REFUSE_RATE_REASON = "商品破損のため出荷不可 (sandbox refuseRate)"

Clock = Callable[[], datetime]


class RslError(Exception):
    """An HTTP-level error answer: ``{"error": {"code", "message"}}`` with ``status``."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 in JST, to the second (``2025-05-01T15:29:59+09:00``)."""
    return None if moment is None else moment.astimezone(JST).isoformat(timespec="seconds")


def day_start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=JST)


@dataclass
class Settings:
    ship_delay_seconds: float
    rate_limit_per_second: float | None
    refuse_rate: float = 0.0
    hold_all: bool = False
    item_delay_seconds: float = 1.0
    wait_for_ship_by_date: bool = True

    def as_json(self) -> dict[str, Any]:
        return {
            "shipDelaySeconds": self.ship_delay_seconds,
            "rateLimitPerSecond": self.rate_limit_per_second,
            "refuseRate": self.refuse_rate,
            "holdAll": self.hold_all,
            "itemDelaySeconds": self.item_delay_seconds,
            "waitForShipByDate": self.wait_for_ship_by_date,
        }


@dataclass
class Stock:
    on_hand: int
    reserved: int
    updated_at: datetime

    def as_json(self, sku: str) -> dict[str, Any]:
        return {
            "sku": sku,
            "onHand": self.on_hand,
            "reserved": self.reserved,
            "available": self.on_hand - self.reserved,
            "updatedAt": iso(self.updated_at),
        }


@dataclass
class Item:
    data: dict[str, Any]
    registered_at: datetime
    usable_at: datetime


@dataclass
class InboundPlan:
    plan_id: str
    need: dict[str, int]
    arrive_at: datetime
    answer: dict[str, Any]
    arrived: bool = False


@dataclass
class Received:
    received_at: datetime
    request: Any
    answer: dict[str, Any]
    repeat: bool

    def as_json(self) -> dict[str, Any]:
        request_id = self.request.get("requestId") if isinstance(self.request, dict) else None
        return {
            "receivedAt": iso(self.received_at),
            "requestId": request_id,
            "repeat": self.repeat,
            "request": copy.deepcopy(self.request),
            "answer": dict(self.answer),
        }
