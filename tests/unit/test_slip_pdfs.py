"""Picking list and delivery note PDFs: generated, Japanese text extractable, one page per note."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

import pytest

pytest.importorskip("reportlab", reason="reportlab is not installed (pip install 'reportlab>=4.0')")

from juchu.fulfillment.slips import pdf as pdf_fonts
from juchu.fulfillment.slips.model import Sender
from juchu.fulfillment.slips.pdf import (
    DeliveryNote,
    NoteLine,
    delivery_notes_pdf,
    paperwork_pdf,
    pick_totals,
    picking_list_pdf,
)

needs_poppler = pytest.mark.skipif(
    shutil.which("pdftotext") is None or shutil.which("pdftoppm") is None,
    reason="pdftotext/pdftoppm not found (Debian: apt-get install poppler-utils)",
)

SHOP = Sender("ジュチュウ商店", "150-0001", "東京都渋谷区神宮前1-2-3", "03-1234-5678", "ジュチュウビル5F")
NOTES = (
    DeliveryNote(
        "shop-100-1-1",
        "100-20240501-0001",
        date(2024, 5, 1),
        "山田 太郎",
        "〒100-0001 東京都千代田区千代田1-1",
        (
            NoteLine("APL-1L", "りんごジュース 1L", 2, 1200, "A-01-03"),
            NoteLine("MKN-5", "みかん 5kg 箱", 1, 3500, "B-02-01"),
        ),
        postage=800,
        discount=300,
        note="ギフト包装をお願いします。",
    ),
    DeliveryNote(
        "shop-101-1-1",
        "101-20240501-0002",
        date(2024, 5, 1),
        "髙橋 花子",
        "〒530-0001 大阪府大阪市北区梅田1-1",
        (NoteLine("APL-1L", "りんごジュース 1L", 1, 1200, "A-01-03"),),
        postage=800,
    ),
)
PRINTED = datetime(2024, 5, 1, 9, 30)


def _text(pdf: bytes, tmp_path: Path) -> list[str]:
    """The text of each page, as pdftotext extracts it."""
    path = tmp_path / "out.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True).stdout
    return out.split("\f")[:-1]


def test_pick_totals_sum_each_sku_over_the_requests_in_location_order():
    totals = pick_totals(NOTES)

    assert [(t.location, t.sku, t.quantity, t.requests) for t in totals] == [
        ("A-01-03", "APL-1L", 3, ("shop-100-1-1", "shop-101-1-1")),
        ("B-02-01", "MKN-5", 1, ("shop-100-1-1",)),
    ]


def test_delivery_note_total_is_goods_plus_postage_minus_discount():
    assert (NOTES[0].goods_total, NOTES[0].total) == (5900, 6400)


@needs_poppler
def test_paperwork_is_one_picking_page_then_one_note_per_request(tmp_path):
    pdf = paperwork_pdf(SHOP, NOTES, PRINTED)

    assert pdf.startswith(b"%PDF")
    pages = _text(pdf, tmp_path)
    assert len(pages) == 1 + len(NOTES)
    assert "ピッキングリスト" in pages[0] and "出力日時 2024/05/01 09:30" in pages[0]
    assert all("納品書" in page for page in pages[1:])


@needs_poppler
def test_picking_list_shows_summed_quantities_and_each_request(tmp_path):
    (page,) = _text(picking_list_pdf(NOTES, PRINTED), tmp_path)

    lines = [" ".join(line.split()) for line in page.splitlines()]
    assert "A-01-03 APL-1L りんごジュース 1L 3 □" in lines
    assert "B-02-01 MKN-5 みかん 5kg 箱 1 □" in lines
    assert "合計 4" in lines
    assert any("shop-101-1-1 101-20240501-0002 髙橋 花子 APL-1L × 1" in line for line in lines)


@needs_poppler
def test_delivery_note_shows_shop_recipient_lines_and_amounts(tmp_path):
    first, second = _text(delivery_notes_pdf(SHOP, NOTES), tmp_path)

    lines = [" ".join(line.split()) for line in first.splitlines()]
    for expected in (
        "受注番号 100-20240501-0001 注文日 2024/05/01 出荷依頼ID shop-100-1-1",
        "りんごジュース 1L APL-1L 2 ¥1,200 ¥2,400",
        "みかん 5kg 箱 MKN-5 1 ¥3,500 ¥3,500",
        "商品合計 ¥5,900",
        "送料 ¥800",
        "値引き (クーポン・ポイント) -¥300",
        "合計 ¥6,400",
        "ギフト包装をお願いします。",
    ):
        assert expected in lines
    assert "山田 太郎 様" in first and "ジュチュウ商店" in first and "TEL 03-1234-5678" in first
    assert "髙橋 花子 様" in second and "合計 ¥2,000" in " ".join(second.split())


@needs_poppler
def test_a_note_renders_to_an_a4_image(tmp_path):
    path = tmp_path / "note.pdf"
    path.write_bytes(delivery_notes_pdf(SHOP, NOTES[:1]))

    subprocess.run(["pdftoppm", "-r", "30", "-png", str(path), str(tmp_path / "page")], check=True)

    (image,) = sorted(tmp_path.glob("page*.png"))
    header = image.read_bytes()[16:24]
    width, height = int.from_bytes(header[:4], "big"), int.from_bytes(header[4:], "big")
    assert (width, height) == (249, 351)  # A4 (210 × 297 mm) at 30 dpi, rounded up


@pytest.mark.skipif(
    shutil.which("pdffonts") is None or not any(Path(p).is_file() for p in pdf_fonts.GOTHIC_FILES),
    reason="pdffonts (poppler-utils) or IPA Gothic (fonts-ipafont-gothic) is not installed",
)
def test_the_japanese_font_is_embedded_when_one_is_installed(tmp_path):
    path = tmp_path / "note.pdf"
    path.write_bytes(delivery_notes_pdf(SHOP, NOTES[:1]))

    listing = subprocess.run(["pdffonts", str(path)], capture_output=True, check=True, text=True).stdout

    # name type… encoding emb sub uni object ID: the Japanese fonts are embedded subsets, none is left to the viewer
    rows = {line.split()[0]: line.split()[-5] for line in listing.splitlines()[2:]}
    japanese = {name: emb for name, emb in rows.items() if name != "Helvetica"}  # reportlab's unused default
    assert pdf_fonts.EMBEDDED and japanese, listing
    assert all(emb == "yes" and "+" in name for name, emb in japanese.items()), listing


@pytest.mark.parametrize("setting", ["/nonexistent/font.ttf", __file__], ids=["missing file", "not a font"])
def test_an_unusable_font_setting_falls_back_to_the_named_cid_fonts(setting):
    probe = "from juchu.fulfillment.slips import pdf; print(pdf.EMBEDDED, pdf.GOTHIC)"
    env = {**os.environ, "JUCHU_PDF_FONT": setting}

    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=True)

    assert done.stdout.split() == ["False", "HeiseiKakuGo-W5"]
    assert "JUCHU_PDF_FONT" in done.stderr
