"""The order CSV layout (受注CSV): one row per line (明細), order and destination columns repeated.

Rows of one order share its 受注番号; rows of one destination (送付先) share its 送付先番号 (1 if blank).
On the second and later rows of an order an order column may be left blank (it is inherited) but may not
differ; likewise for destination columns. docs/csv.md describes every column.
"""

from __future__ import annotations

from juchu.domain.model import OrderType, PaymentState

#: (column, limit in characters) — order level. The first one groups the rows.
ORDER_COLUMNS: tuple[tuple[str, int], ...] = (
    ("受注番号", 64),
    ("注文日時", 40),
    ("注文者氏名", 200),
    ("注文者カナ", 200),
    ("メールアドレス", 254),
    ("注文者電話番号", 40),
    ("決済方法", 100),
    ("入金状態", 20),
    ("注文種別", 10),
    ("送料", 12),
    ("クーポン利用額", 12),
    ("ポイント利用額", 12),
    ("合計金額", 12),
    ("ギフト", 5),
    ("備考", 2000),
)
PACKAGE_COLUMNS: tuple[tuple[str, int], ...] = (
    ("送付先番号", 3),
    ("送付先氏名", 200),
    ("送付先カナ", 200),
    ("送付先電話番号", 40),
    ("送付先郵便番号", 20),
    ("送付先都道府県", 20),
    ("送付先市区町村", 200),
    ("送付先住所1", 300),
    ("送付先住所2", 300),
    ("配送方法", 100),
    ("お届け希望日", 20),
    ("お届け時間帯", 40),
)
LINE_COLUMNS: tuple[tuple[str, int], ...] = (
    ("商品ID", 128),
    ("バリエーションID", 128),
    ("商品名", 300),
    ("単価", 12),
    ("数量", 6),
)
ALL_COLUMNS = tuple(name for name, _ in (*ORDER_COLUMNS, *PACKAGE_COLUMNS, *LINE_COLUMNS))
REQUIRED = (
    "受注番号",
    "注文日時",
    "注文者氏名",
    "決済方法",
    "送付先氏名",
    "送付先郵便番号",
    "送付先都道府県",
    "配送方法",
    "商品ID",
    "単価",
    "数量",
)
#: Columns the order-list export adds after the layout; a re-upload ignores them.
EXPORT_EXTRA = ("ステータス", "SKU")

PAYMENT_STATES = {
    "": PaymentState.UNPAID,
    "未入金": PaymentState.UNPAID,
    "入金済": PaymentState.PAID,
    "オーソリ済": PaymentState.AUTHORIZED,
    "不要": PaymentState.NOT_REQUIRED,
    "後払い審査中": PaymentState.DEFERRED_PENDING,
    "後払い承認済": PaymentState.DEFERRED_APPROVED,
    "決済エラー": PaymentState.FAILED,
}
PAYMENT_LABELS = {state: label for label, state in PAYMENT_STATES.items() if label}
ORDER_TYPES = {"": OrderType.NORMAL, **{t.label_ja: t for t in OrderType}}
MAX_PACKAGES = 99
