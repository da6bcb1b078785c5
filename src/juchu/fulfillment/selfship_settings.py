"""The own warehouse's slip settings (自社出荷の設定), kept as JSON on the warehouse (``Warehouse.slip_settings``).

What a batch's paperwork needs and the order does not say: the sender (ご依頼主), the carrier and its account
codes, and which service (宅配便/コンパクト/メール便) and cool class each delivery method code ships as.
The sender is the warehouse's; with ``sender_name_from_shop`` its name is each order's shop name instead.
"""

from __future__ import annotations

import unicodedata
from dataclasses import asdict, dataclass, field
from typing import Any

from juchu.fulfillment.slips import B2Account, Carrier, Cool, JapanPostAccount, SagawaAccount, Sender, Service

CARRIER_LABELS = {
    Carrier.YAMATO: "ヤマト運輸 (B2クラウド)",
    Carrier.SAGAWA: "佐川急便 (e飛伝III)",
    Carrier.JAPAN_POST: "日本郵便 (ゆうプリR)",
}
#: The carrier's name as the shipment records it (配送会社名).
CARRIER_NAMES = {Carrier.YAMATO: "ヤマト運輸", Carrier.SAGAWA: "佐川急便", Carrier.JAPAN_POST: "日本郵便"}
#: What the carrier's issued-slip file is called in its software, for the import screen.
ISSUED_FILE_LABELS = {
    Carrier.YAMATO: "B2クラウド 発行済データ",
    Carrier.SAGAWA: "e飛伝III 出荷実績",
    Carrier.JAPAN_POST: "ゆうプリR 発送履歴",
}
_SERVICE_WORDS = {s.label_ja: s for s in Service} | {s.value: s for s in Service}
_COOL_WORDS = {c.label_ja: c for c in Cool} | {c.value: c for c in Cool}


@dataclass(frozen=True)
class SlipSettings:
    """One own warehouse's settings for slips, picking lists and delivery notes."""

    carrier: Carrier = Carrier.YAMATO
    sender_name: str = ""
    sender_postal_code: str = ""
    sender_address: str = ""
    sender_address2: str = ""
    sender_phone: str = ""
    #: Print each order's shop name as ご依頼主名 (one warehouse shipping for several shops).
    sender_name_from_shop: bool = False
    b2_customer_code: str = ""
    b2_class_code: str = ""
    b2_freight_number: str = "01"
    b2_mail_code: str = "7"
    sagawa_customer_code: str = ""
    yupri_label_type: str = ""
    #: Delivery method code (the shop's 配送方法 mapping) → (service, cool); codes not listed use the default.
    services: dict[str, tuple[Service, Cool]] = field(default_factory=dict)
    default_service: Service = Service.PARCEL

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SlipSettings:
        """The settings stored on a warehouse; unknown or missing keys take their defaults."""
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__ and k not in ("services",)}
        if "carrier" in known:
            known["carrier"] = Carrier(known["carrier"])
        if "default_service" in known:
            known["default_service"] = Service(known["default_service"])
        services = {code: (Service(s), Cool(c)) for code, (s, c) in (data.get("services") or {}).items()}
        return cls(**known, services=services)

    def to_json(self) -> dict[str, Any]:
        """What is stored on the warehouse."""
        data = asdict(self)
        data["carrier"] = self.carrier.value
        data["default_service"] = self.default_service.value
        data["services"] = {code: [s.value, c.value] for code, (s, c) in self.services.items()}
        return data

    def sender(self, shop_name: str = "") -> Sender:
        """ご依頼主 for an order of ``shop_name``."""
        name = shop_name if self.sender_name_from_shop and shop_name else self.sender_name
        return Sender(name, self.sender_postal_code, self.sender_address, self.sender_phone, self.sender_address2)

    def service_for(self, method_code: str) -> tuple[Service, Cool]:
        """How a package with this delivery method code travels."""
        return self.services.get(method_code, (self.default_service, Cool.NONE))

    def b2_account(self) -> B2Account:
        """The B2クラウド contract codes."""
        return B2Account(self.b2_customer_code, self.b2_freight_number, self.b2_class_code, self.b2_mail_code or "7")

    def sagawa_account(self) -> SagawaAccount:
        """The e飛伝 settings."""
        return SagawaAccount(self.sagawa_customer_code)

    def japanpost_account(self) -> JapanPostAccount:
        """The ゆうプリR settings."""
        return JapanPostAccount(self.yupri_label_type)

    def missing(self) -> list[str]:
        """What must still be set before a batch can be issued (empty when ready)."""
        needed = [
            ("ご依頼主名", self.sender_name or self.sender_name_from_shop),
            ("ご依頼主の郵便番号", self.sender_postal_code),
            ("ご依頼主の住所", self.sender_address),
            ("ご依頼主の電話番号", self.sender_phone),
        ]
        if self.carrier is Carrier.YAMATO:
            needed += [("B2 請求先顧客コード", self.b2_customer_code), ("B2 運賃管理番号", self.b2_freight_number)]
        return [label for label, value in needed if not value]


def parse_services(text: str) -> dict[str, tuple[Service, Cool]]:
    """The mapping typed in the settings screen, one ``code = 宅配便 [冷蔵]`` a line; raises ValueError.

    ``#`` starts a comment; ``:`` may stand for ``=``; service and cool are the Japanese labels
    (宅配便/コンパクト/メール便, 常温/冷蔵/冷凍) or their English values.
    """
    services: dict[str, tuple[Service, Cool]] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = unicodedata.normalize("NFKC", raw).split("#", 1)[0].strip()
        if not line:
            continue
        code, sep, rest = line.replace(":", "=").partition("=")
        words = rest.replace(",", " ").split()
        if not sep or not code.strip() or not words:
            raise ValueError(f"{number}行目: 「配送方法コード = 宅配便」の形で書いてください")
        service = _SERVICE_WORDS.get(words[0])
        cool = _COOL_WORDS.get(words[1]) if len(words) > 1 else Cool.NONE
        if service is None or cool is None or len(words) > 2:
            raise ValueError(
                f"{number}行目: '{rest.strip()}' は 宅配便/コンパクト/メール便 (と 常温/冷蔵/冷凍) ではありません"
            )
        services[code.strip()] = (service, cool)
    return services


def format_services(services: dict[str, tuple[Service, Cool]]) -> str:
    """The mapping as the settings screen shows it (the inverse of :func:`parse_services`)."""
    lines = []
    for code, (service, cool) in services.items():
        lines.append(f"{code} = {service.label_ja}" + ("" if cool is Cool.NONE else f" {cool.label_ja}"))
    return "\n".join(lines)
