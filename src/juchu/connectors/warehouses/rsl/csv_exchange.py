"""The CSV exchange with RSL for shops that work by file: request CSV out, result CSV in (docs/rsl-csv.md).

Both files are CP932 with CRLF line ends when Juchu writes them; a result CSV may come as CP932 or UTF-8,
with or without a BOM. A bad result row is reported (row number, column, reason) and the good rows are kept.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence

from juchu.connectors.base import ParcelData, ResultStatus, ShipmentRequestData, ShipmentResult
from juchu.connectors.warehouses.rsl.mapping import MappingError, check_request, parse_date, phone_number, postal_code

REQUEST_COLUMNS = (
    "出荷依頼ID",
    "受注番号",
    "店舗コード",
    "配送方法",
    "お届け希望日",
    "時間帯",
    "送付先氏名",
    "郵便番号",
    "都道府県",
    "市区町村",
    "住所1",
    "住所2",
    "電話番号",
    "SKU",
    "数量",
    "単価",
    "商品金額",
    "送料",
    "代引金額",
    "ギフト",
    "備考",
)
RESULT_REQUIRED = ("出荷依頼ID", "状態")
RESULT_OPTIONAL = ("出荷日", "配送会社コード", "配送会社名", "お問い合わせ番号", "理由")
RESULT_STATUSES = {"出荷済": ResultStatus.SHIPPED, "出荷不可": ResultStatus.UNSHIPPABLE}
#: RSL ships everything by 日本郵便; a result row without a carrier code means this one.
DEFAULT_CARRIER_CODE = "1029"
_TRACKING_SEPARATORS = re.compile(r"[\s,、;；/／]+")


def requests_to_csv(requests: Sequence[ShipmentRequestData]) -> bytes:
    """The request CSV: one row per line, the request's fields repeated on each of its rows.

    Raises :class:`MappingError` for a request RSL could only reject, or for text CP932 cannot hold
    (naming the request and column), rather than writing a file the warehouse would misread.
    """
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(REQUEST_COLUMNS)
    for data in requests:
        check_request(data)
        head = [
            data.request_id,
            data.mall_order_number,
            data.shop_code,
            data.delivery_method,
            data.requested_date.isoformat() if data.requested_date else "",
            data.delivery_time,
            data.recipient_name,
            postal_code(data.address.postal_code),
            data.address.prefecture,
            data.address.city,
            data.address.address1,
            data.address.address2,
            phone_number(data.phone),
        ]
        tail = [str(data.goods_amount), str(data.postage), str(data.cod_amount), "1" if data.gift else "0", data.note]
        for line in data.lines:
            row = [_one_line(v) for v in [*head, line.sku, str(line.quantity), str(line.unit_price), *tail]]
            for column, value in zip(REQUEST_COLUMNS, row, strict=True):
                _check_cp932(data.request_id, column, value)
            writer.writerow(row)
    return out.getvalue().encode("cp932")


def results_from_csv(data: bytes) -> tuple[list[ShipmentResult], list[str]]:
    """Results read from a result CSV, and one clear error per row that could not be read.

    Several rows for one 出荷依頼ID (one per parcel) are merged into one result.
    """
    text, encoding_error = _decode(data)
    if encoding_error:
        return [], [encoding_error]
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if header is None:
        return [], ["1行目: ヘッダー行がありません"]
    names = [h.strip() for h in header]
    missing = [c for c in RESULT_REQUIRED if c not in names]
    if missing:
        return [], [f"1行目: 列 {'、'.join(missing)} がありません"]
    index = {name: names.index(name) for name in (*RESULT_REQUIRED, *RESULT_OPTIONAL) if name in names}
    results: dict[str, ShipmentResult] = {}
    errors: list[str] = []
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue
        line = reader.line_num
        fields = {name: row[i].strip() if i < len(row) else "" for name, i in index.items()}
        try:
            result = _result_row(fields)
        except MappingError as exc:
            errors.append(f"{line}行目 {exc.field}: {exc.reason}")
            continue
        known = results.get(result.request_id)
        if known is None:
            results[result.request_id] = result
        elif known.status is not result.status or result.status is not ResultStatus.SHIPPED:
            errors.append(
                f"{line}行目 出荷依頼ID: {result.request_id} は前の行と矛盾しています（同じ依頼が複数行あります）"
            )
        else:
            results[result.request_id] = _merge(known, result)
    return list(results.values()), errors


def _result_row(fields: dict[str, str]) -> ShipmentResult:
    request_id = fields["出荷依頼ID"]
    if not request_id:
        raise MappingError("", "出荷依頼ID", "空です")
    status = RESULT_STATUSES.get(fields["状態"])
    if status is None:
        raise MappingError(request_id, "状態", f"'{fields['状態']}' は 出荷済 か 出荷不可 にしてください")
    if status is ResultStatus.UNSHIPPABLE:
        return ShipmentResult(request_id, status, reason=fields.get("理由", ""))
    shipped_on = parse_date(fields.get("出荷日", ""))
    if shipped_on is None:
        raise MappingError(request_id, "出荷日", f"'{fields.get('出荷日', '')}' は日付 (YYYY-MM-DD) ではありません")
    trackings = [t for t in _TRACKING_SEPARATORS.split(fields.get("お問い合わせ番号", "")) if t]
    if not trackings:
        raise MappingError(request_id, "お問い合わせ番号", "出荷済の行にお問い合わせ番号がありません")
    return ShipmentResult(
        request_id,
        status,
        shipped_on=shipped_on,
        carrier_code=fields.get("配送会社コード", "") or DEFAULT_CARRIER_CODE,
        carrier_name=fields.get("配送会社名", ""),
        parcels=tuple(ParcelData(t) for t in trackings),
        reason=fields.get("理由", ""),
    )


def _merge(first: ShipmentResult, more: ShipmentResult) -> ShipmentResult:
    known = {p.tracking_number for p in first.parcels}
    extra = tuple(p for p in more.parcels if p.tracking_number not in known)
    return ShipmentResult(
        first.request_id,
        first.status,
        first.warehouse_order_id,
        first.shipped_on,
        first.carrier_code,
        first.carrier_name,
        first.parcels + extra,
        first.reason,
    )


def _decode(data: bytes) -> tuple[str, str]:
    encodings = ("utf-8-sig",) if data.startswith(b"\xef\xbb\xbf") else ("utf-8", "cp932")
    for encoding in encodings:
        try:
            return data.decode(encoding), ""
        except UnicodeDecodeError:
            continue
    return "", "ファイルの文字コードを読めません（CP932 か UTF-8 で保存してください）"


def _one_line(value: str) -> str:
    """Line breaks inside a value become spaces: warehouse systems read one record per physical line."""
    return re.sub(r"[\r\n]+", " ", value)


def _check_cp932(request_id: str, column: str, value: str) -> None:
    try:
        value.encode("cp932")
    except UnicodeEncodeError as exc:
        bad = value[exc.start : exc.end]
        raise MappingError(request_id, column, f"'{bad}' はCP932で表せない文字です（置き換えてください）") from None
