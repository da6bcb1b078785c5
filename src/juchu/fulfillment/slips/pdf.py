"""Picking list (ピッキングリスト) and delivery notes (納品書) as A4 PDF.

Japanese text is set in a TrueType font embedded in the file (subset), so the paper prints the same on a PC
without Japanese fonts: ``JUCHU_PDF_FONT`` / ``JUCHU_PDF_TITLE_FONT`` name .ttf files, else IPA Gothic and
IPA Mincho are used where Debian's fonts-ipafont packages put them. Without any of them, reportlab's built-in
CID fonts (HeiseiKakuGo-W5, HeiseiMin-W3) are named for the viewer to supply (Acrobat, Chrome, poppler and
macOS do); :data:`EMBEDDED` says which it is.
"""

from __future__ import annotations

import io
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFError, TTFont
from reportlab.platypus import Flowable, PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from juchu.fulfillment.slips.model import Sender

log = logging.getLogger("juchu.pdf")

#: Where Debian (fonts-ipafont-gothic, fonts-ipafont-mincho, fonts-ipaexfont) and the alternatives link put them.
GOTHIC_FILES = (
    "/usr/share/fonts/opentype/ipafont-gothic/ipag.ttf",
    "/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf",
    "/usr/share/fonts/truetype/fonts-japanese-gothic.ttf",
)
MINCHO_FILES = (
    "/usr/share/fonts/opentype/ipafont-mincho/ipam.ttf",
    "/usr/share/fonts/opentype/ipaexfont-mincho/ipaexm.ttf",
    "/usr/share/fonts/truetype/fonts-japanese-mincho.ttf",
)


def _truetype(name: str, setting: str, candidates: Sequence[str]) -> str | None:
    """Register the first usable TrueType file (the setting's, else a candidate) as ``name``; None if none is."""
    chosen = os.environ.get(setting, "").strip()
    for path in [chosen] if chosen else candidates:
        if not Path(path).is_file():
            if chosen:
                log.warning("%s=%s is not a file; the PDFs name a font for the viewer to supply", setting, path)
            continue
        try:
            pdfmetrics.registerFont(TTFont(name, path))
        except TTFError as exc:  # an OpenType/CFF file, or not a font at all
            log.warning("%s: %s cannot be embedded (%s); the PDFs name a font instead", setting, path, exc)
            continue
        return name
    return None


def _register_fonts() -> tuple[str, str, bool]:
    """(text font, title font, embedded?), registered once per process."""
    gothic = _truetype("JuchuGothic", "JUCHU_PDF_FONT", GOTHIC_FILES)
    mincho = _truetype("JuchuMincho", "JUCHU_PDF_TITLE_FONT", MINCHO_FILES) or gothic
    if gothic is not None and mincho is not None:
        return gothic, mincho, True
    for cid in ("HeiseiKakuGo-W5", "HeiseiMin-W3"):
        if cid not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(UnicodeCIDFont(cid))
    return "HeiseiKakuGo-W5", "HeiseiMin-W3", False


GOTHIC, MINCHO, EMBEDDED = _register_fonts()

_BODY = ParagraphStyle("body", fontName=GOTHIC, fontSize=9, leading=12)
_SMALL = ParagraphStyle("small", parent=_BODY, fontSize=8, leading=10)
_TITLE = ParagraphStyle("title", fontName=MINCHO, fontSize=18, leading=24, spaceAfter=4 * mm)
_HEADING = ParagraphStyle("heading", parent=_BODY, fontSize=11, leading=15, spaceBefore=4 * mm, spaceAfter=2 * mm)
_GRID = TableStyle(
    [
        ("FONT", (0, 0), (-1, -1), GOTHIC, 9),
        ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.92, 0.92, 0.92)),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ]
)


@dataclass(frozen=True, slots=True)
class NoteLine:
    """One line (明細) of a request: what to pick and what the buyer is charged."""

    sku: str
    name: str
    quantity: int
    unit_price: int = 0
    #: Where the SKU is shelved (ロケーション), if the shop keeps one.
    location: str = ""

    @property
    def amount(self) -> int:
        """Unit price times quantity, in yen."""
        return self.unit_price * self.quantity


@dataclass(frozen=True, slots=True)
class DeliveryNote:
    """One shipment request's paperwork: its lines and the amounts printed on the 納品書."""

    request_id: str
    order_number: str
    ordered_on: date
    recipient_name: str
    recipient_address: str
    lines: tuple[NoteLine, ...]
    postage: int = 0
    #: Coupons and points, as a positive number subtracted from the total.
    discount: int = 0
    fee: int = 0
    note: str = ""
    buyer_name: str = ""
    #: The issuer printed on this note when it is not the file's (one warehouse shipping for several shops).
    sender: Sender | None = None

    @property
    def goods_total(self) -> int:
        """The lines' amounts summed."""
        return sum(line.amount for line in self.lines)

    @property
    def total(self) -> int:
        """Goods + postage + fee - discount: what the buyer pays."""
        return self.goods_total + self.postage + self.fee - self.discount


@dataclass(frozen=True, slots=True)
class PickTotal:
    """One SKU summed over the selected requests."""

    sku: str
    name: str
    location: str
    quantity: int
    requests: tuple[str, ...] = field(default=())


def pick_totals(notes: Sequence[DeliveryNote]) -> list[PickTotal]:
    """Each SKU's total quantity over ``notes``, in walking order: by location, then SKU."""
    totals: dict[str, PickTotal] = {}
    for note in notes:
        for line in note.lines:
            seen = totals.get(line.sku)
            if seen is None:
                totals[line.sku] = PickTotal(line.sku, line.name, line.location, line.quantity, (note.request_id,))
            else:
                requests = seen.requests if note.request_id in seen.requests else (*seen.requests, note.request_id)
                location = seen.location or line.location
                totals[line.sku] = PickTotal(line.sku, seen.name, location, seen.quantity + line.quantity, requests)
    return sorted(totals.values(), key=lambda t: (t.location == "", t.location, t.sku))


def _yen(amount: int) -> str:
    return f"¥{amount:,}" if amount >= 0 else f"-¥{-amount:,}"


def _p(text: str, style: ParagraphStyle = _BODY) -> Paragraph:
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\n", "<br/>")
    return Paragraph(escaped, style)


def _table(rows: list[list[object]], widths: list[float], right: tuple[int, ...] = ()) -> Table:
    table = Table(rows, colWidths=widths, repeatRows=1)
    style = TableStyle([*_GRID.getCommands(), *[("ALIGN", (c, 0), (c, -1), "RIGHT") for c in right]])
    table.setStyle(style)
    return table


def _picking(notes: Sequence[DeliveryNote], printed_at: datetime) -> list[Flowable]:
    story: list[Flowable] = [
        _p("ピッキングリスト", _TITLE),
        _p(f"出力日時 {printed_at:%Y/%m/%d %H:%M}　出荷依頼 {len(notes)} 件"),
        _p("SKU別 合計", _HEADING),
    ]
    totals = pick_totals(notes)
    rows: list[list[object]] = [["ロケーション", "SKU", "商品名", "数量", "確認"]]
    rows += [[t.location, t.sku, _p(t.name, _SMALL), str(t.quantity), "□"] for t in totals]
    rows.append(["", "", "合計", str(sum(t.quantity for t in totals)), ""])
    story.append(_table(rows, [28 * mm, 35 * mm, 82 * mm, 15 * mm, 12 * mm], right=(3,)))
    story.append(_p("出荷依頼別", _HEADING))
    rows = [["出荷依頼ID", "受注番号", "お届け先", "SKU × 数量"]]
    for note in notes:
        lines = "\n".join(f"{line.sku} × {line.quantity}" for line in note.lines)
        rows.append([_p(note.request_id, _SMALL), _p(note.order_number, _SMALL), _p(note.recipient_name), _p(lines)])
    story.append(_table(rows, [45 * mm, 45 * mm, 37 * mm, 45 * mm]))
    return story


def _note(default: Sender, note: DeliveryNote) -> list[Flowable]:
    shop = note.sender or default
    head = [
        [
            _p(f"{note.recipient_name} 様\n{note.recipient_address}"),
            _p(f"{shop.name}\n〒{shop.postal_code} {shop.address} {shop.address2}\nTEL {shop.phone}"),
        ]
    ]
    head_table = Table(head, colWidths=[95 * mm, 77 * mm])
    head_table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    story: list[Flowable] = [
        _p("納品書", _TITLE),
        head_table,
        Spacer(1, 4 * mm),
        _p(f"受注番号 {note.order_number}　注文日 {note.ordered_on:%Y/%m/%d}　出荷依頼ID {note.request_id}"),
        Spacer(1, 2 * mm),
        _p("このたびはお買い上げいただき、誠にありがとうございます。下記の通り納品いたします。"),
        Spacer(1, 3 * mm),
    ]
    rows: list[list[object]] = [["商品名", "SKU", "数量", "単価", "金額"]]
    rows += [
        [_p(line.name, _SMALL), _p(line.sku, _SMALL), str(line.quantity), _yen(line.unit_price), _yen(line.amount)]
        for line in note.lines
    ]
    sums = [("商品合計", note.goods_total), ("送料", note.postage)]
    if note.fee:
        sums.append(("手数料", note.fee))
    if note.discount:
        sums.append(("値引き (クーポン・ポイント)", -note.discount))
    sums.append(("合計", note.total))
    rows += [["", "", "", label, _yen(amount)] for label, amount in sums]
    story.append(_table(rows, [80 * mm, 35 * mm, 14 * mm, 25 * mm, 22 * mm], right=(2, 3, 4)))
    if note.note:
        story += [Spacer(1, 4 * mm), _p("備考", _HEADING), _p(note.note)]
    return story


def _render(story: list[Flowable], title: str) -> bytes:
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm, topMargin=15 * mm, bottomMargin=15 * mm
    )
    doc.title, doc.author = title, "Juchu"
    doc.build(story)
    return out.getvalue()


def picking_list_pdf(notes: Sequence[DeliveryNote], printed_at: datetime) -> bytes:
    """The picking list for ``notes``: SKUs summed with their locations, then each request's lines."""
    return _render(_picking(notes, printed_at), "ピッキングリスト")


def delivery_notes_pdf(shop: Sender, notes: Sequence[DeliveryNote]) -> bytes:
    """One delivery note per request, each starting on a new page."""
    story: list[Flowable] = []
    for index, note in enumerate(notes):
        if index:
            story.append(PageBreak())
        story += _note(shop, note)
    return _render(story, "納品書")


def paperwork_pdf(shop: Sender, notes: Sequence[DeliveryNote], printed_at: datetime) -> bytes:
    """The picking list followed by one delivery note per request: one file to print for a batch."""
    story = _picking(notes, printed_at)
    for note in notes:
        story += [PageBreak(), *_note(shop, note)]
    return _render(story, "ピッキングリスト・納品書")
