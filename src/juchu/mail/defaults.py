"""The built-in mail texts, used for a kind of mail until the shop saves its own template."""

from __future__ import annotations

from juchu.mail.models import MailKind

_LINES = """{% for line in lines %}  {{ line.name }}{% if line.variant %} ({{ line.variant }}){% endif %}
    {{ line.unit_price|yen }} × {{ line.quantity }} = {{ line.subtotal|yen }}
{% endfor %}"""

_AMOUNTS = """  商品合計: {{ order.goods_total|yen }}
  送料: {{ order.postage|yen }}
{% if order.coupon_used %}  クーポン利用: -{{ order.coupon_used|yen }}
{% endif %}{% if order.points_used %}  ポイント利用: -{{ order.points_used|yen }}
{% endif %}  お支払い合計: {{ order.total|yen }}"""

_SIGNATURE = """
--------------------------------
{{ shop.name }}
--------------------------------
"""

DEFAULTS: dict[str, tuple[str, str]] = {
    MailKind.THANKS.value: (
        "【{{ shop.name }}】ご注文ありがとうございます (注文番号 {{ order.number }})",
        """{{ order.buyer_name }} 様

{{ shop.name }} です。
このたびはご注文いただき、ありがとうございます。以下の内容でご注文を承りました。

■ 注文番号: {{ order.number }}
■ 注文日時: {{ order.ordered_at }}
■ お支払い方法: {{ order.payment_method }}
■ お届け希望日: {{ delivery_date or "指定なし" }}{% if delivery_time %} {{ delivery_time }}{% endif %}

■ ご注文内容
"""
        + _LINES
        + "\n"
        + _AMOUNTS
        + "\n\n発送いたしましたら、あらためてご連絡いたします。\n"
        + _SIGNATURE,
    ),
    MailKind.SHIPPING.value: (
        "【{{ shop.name }}】商品を発送しました (注文番号 {{ order.number }})",
        """{{ order.buyer_name }} 様

{{ shop.name }} です。
ご注文の商品を {{ shipment.shipped_on }} に発送しました。

■ 注文番号: {{ order.number }}
■ 配送業者: {{ shipment.carrier_name }}
{% for parcel in shipment.parcels %}■ お問い合わせ番号: {{ parcel.tracking_number }}
{% if parcel.tracking_url %}  配送状況の確認: {{ parcel.tracking_url }}
{% endif %}{% endfor %}■ お届け先: {{ shipment.recipient_name }} 様
■ お届け希望日: {{ shipment.delivery_date or "指定なし" }} {{ shipment.delivery_time }}

■ 発送した商品
{% for line in shipment.lines %}  {{ line.name }} × {{ line.quantity }}
{% endfor %}"""
        + _SIGNATURE,
    ),
    MailKind.CANCEL.value: (
        "【{{ shop.name }}】ご注文のキャンセルについて (注文番号 {{ order.number }})",
        """{{ order.buyer_name }} 様

{{ shop.name }} です。
以下のご注文はキャンセルとなりました。

■ 注文番号: {{ order.number }}
■ 注文日時: {{ order.ordered_at }}

■ ご注文内容
"""
        + _LINES
        + "\n"
        + _AMOUNTS
        + "\n\nまたのご利用をお待ちしております。\n"
        + _SIGNATURE,
    ),
}
