"""What a carrier slip needs to know about one shipment, carrier-neutral, and what writing a file reports."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum


class Service(StrEnum):
    """How the parcel travels: a box (宅配便), a compact box, or a letter-box parcel (メール便)."""

    PARCEL = "parcel"
    COMPACT = "compact"
    MAIL = "mail"

    @property
    def label_ja(self) -> str:
        """The Japanese label (宅配便/コンパクト/メール便)."""
        return {"parcel": "宅配便", "compact": "コンパクト", "mail": "メール便"}[self.value]


class Cool(StrEnum):
    """Temperature control (クール便)."""

    NONE = "none"
    CHILLED = "chilled"
    FROZEN = "frozen"

    @property
    def label_ja(self) -> str:
        """The Japanese label (常温/冷蔵/冷凍)."""
        return {"none": "常温", "chilled": "冷蔵", "frozen": "冷凍"}[self.value]


class TimeSlot(StrEnum):
    """A delivery time slot (お届け時間帯), named by its hours as Yamato's codes are."""

    MORNING = "0812"
    H12_14 = "1214"
    H14_16 = "1416"
    H16_18 = "1618"
    H18_20 = "1820"
    H18_21 = "1821"
    H19_21 = "1921"
    H20_21 = "2021"

    @property
    def label_ja(self) -> str:
        """The Japanese label (午前中, 14時〜16時 …)."""
        if self is TimeSlot.MORNING:
            return "午前中"
        return f"{int(self.value[:2])}時〜{int(self.value[2:])}時"


_SLOT_HOURS = {(int(s.value[:2]), int(s.value[2:])): s for s in TimeSlot if s is not TimeSlot.MORNING}
_HOURS = re.compile(r"(\d{1,2})(?::\d\d)?\s*(?:時|時頃)?\s*[-~〜～ー－から]+\s*(\d{1,2})")


def parse_time_slot(text: str) -> TimeSlot | None:
    """The slot a mall's free text names ("午前中", "14:00-16:00", "14時〜16時", "1416"), or None for none.

    Raises ValueError for text that names a time but no known slot, so that a wish is never dropped quietly.
    """
    value = unicodedata.normalize("NFKC", text).strip()
    if value in ("", "指定なし", "なし", "希望なし"):
        return None
    if "午前" in value or value in ("0812", "01", "AM"):
        return TimeSlot.MORNING
    if value.isdigit() and len(value) == 4:
        try:
            return TimeSlot(value)
        except ValueError:
            pass
    match = _HOURS.search(value)
    if match:
        slot = _SLOT_HOURS.get((int(match[1]), int(match[2])))
        if slot is not None:
            return slot
    raise ValueError(f"お届け時間帯 '{text}' を読めません")


@dataclass(frozen=True, slots=True)
class Sender:
    """The shop as ご依頼主 on the slip and as the issuer of a delivery note."""

    name: str
    postal_code: str
    address: str
    phone: str
    #: Building, floor: printed on a second address line where the layout has one.
    address2: str = ""


@dataclass(frozen=True, slots=True)
class SlipRequest:
    """One parcel to label: who receives it, how it travels, what is in it, and who sends it."""

    request_id: str
    order_number: str
    recipient_name: str
    postal_code: str
    prefecture: str
    city: str
    address1: str
    sender: Sender
    address2: str = ""
    recipient_kana: str = ""
    phone: str = ""
    service: Service = Service.PARCEL
    cool: Cool = Cool.NONE
    requested_date: date | None = None
    time_slot: TimeSlot | None = None
    cod_amount: int = 0
    #: What the box holds, one short line each (品名); the writers use as many as the layout has room for.
    item_names: tuple[str, ...] = ()
    package_count: int = 1
    #: The value written to the carrier's reference column (お客様管理番号); the tracking import returns it.
    #: Empty means ``request_id``. Set a shorter unique key where the carrier's column is narrower.
    key: str = ""

    @property
    def reference(self) -> str:
        """What goes into the carrier's reference column."""
        return self.key or self.request_id


@dataclass(frozen=True, slots=True)
class SlipError:
    """Why a request's row was not written (or, as a warning, what was changed to write it)."""

    request_id: str
    column: str
    reason: str

    def __str__(self) -> str:
        return f"{self.request_id} {self.column}: {self.reason}"


@dataclass(frozen=True, slots=True)
class SlipFile:
    """A carrier file: its bytes, the requests written, the ones refused and what was adjusted."""

    data: bytes
    written: tuple[str, ...]
    errors: tuple[SlipError, ...] = ()
    warnings: tuple[SlipError, ...] = field(default=())
