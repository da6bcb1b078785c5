"""Mail templates rendered in a sandbox: plain data in, plain text out, nothing else reachable.

The context is a tree of dicts, lists, strings and integers built from the order; no model object, no
settings, no callable is in it. Templates run in Jinja's immutable sandbox with strict undefined names, and
calling any method of the data is refused too, so a template can only print and loop over what it is given.
Every problem (syntax, unknown name, refused access) becomes one :class:`MailTemplateError` in Japanese.
"""

from __future__ import annotations

import re
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError, UndefinedError
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

from juchu.fulfillment.models import Shipment
from juchu.mail.carriers import carrier_name, tracking_url
from juchu.mail.defaults import DEFAULTS
from juchu.mail.models import MailKind, MailTemplate
from juchu.orders.models import Order
from juchu.shops.models import Shop

JST = ZoneInfo("Asia/Tokyo")
#: A mail body larger than this is refused: a template loop gone wrong, not a letter to a buyer.
MAX_BODY_CHARS = 200_000


class MailTemplateError(Exception):
    """A template that cannot be rendered; the message says what and where, in Japanese."""


class _Sandbox(ImmutableSandboxedEnvironment):
    """The immutable sandbox, refusing also the methods of the data (``name.upper()``, ``order.items()``)."""

    def is_safe_callable(self, obj: Any) -> bool:
        owner = getattr(obj, "__self__", None)
        if isinstance(owner, str | int | float | dict | list | tuple | date):
            return False
        return super().is_safe_callable(obj)


def _yen(value: object) -> str:
    try:
        return f"{int(value):,}円"  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return f"{value}円"


#: How many numbers ``range`` may hand out over one rendering: nested loops cannot make a preview hang.
RANGE_BUDGET = 10_000
_range_left: ContextVar[int] = ContextVar("juchu_mail_range_left", default=RANGE_BUDGET)


def _bounded_range(*args: int) -> range:
    """``range`` with one budget per rendering (the sandbox's own limit is per call, not per template)."""
    numbers = range(*args)
    left = _range_left.get() - len(numbers)
    if left < 0:
        raise SecurityError(f"range の合計が上限 ({RANGE_BUDGET:,}) を超えました")
    _range_left.set(left)
    return numbers


_ENV = _Sandbox(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)
_ENV.filters["yen"] = _yen
# Jinja's default globals (dict, cycler, joiner, namespace, lipsum) are callables a mail does not need.
_ENV.globals = {"range": _bounded_range}
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


@dataclass(frozen=True)
class RenderedMail:
    """A mail's subject and body as the buyer will read them."""

    subject: str
    body: str


def template_texts(shop: Shop, kind: str) -> tuple[str, str, bool]:
    """The shop's subject and body for ``kind``, and whether they are the shop's own (else the defaults)."""
    own = MailTemplate.objects.filter(shop=shop, kind=kind).first()
    if own is not None:
        return own.subject, own.body, True
    subject, body = DEFAULTS[MailKind(kind).value]
    return subject, body, False


def render(subject: str, body: str, context: dict[str, Any]) -> RenderedMail:
    """Render a subject and body against a plain context; raises :class:`MailTemplateError`."""
    rendered_subject = " ".join(_render_one("件名", subject, context).split())
    rendered_body = _render_one("本文", body, context)
    if len(rendered_body) > MAX_BODY_CHARS:
        raise MailTemplateError(f"本文が長すぎます ({len(rendered_body):,} 文字、上限 {MAX_BODY_CHARS:,} 文字)")
    return RenderedMail(rendered_subject, rendered_body)


def _render_one(part: str, text: str, context: dict[str, Any]) -> str:
    token = _range_left.set(RANGE_BUDGET)
    try:
        return _ENV.from_string(text).render(context)
    except TemplateSyntaxError as exc:
        message = f"{part} {exc.lineno}行目: テンプレートの書き方が正しくありません ({exc.message})"
        raise MailTemplateError(message) from None
    except SecurityError as exc:
        detail = _ADDRESS.sub("", str(exc))
        raise MailTemplateError(
            f"{part}: 使えない操作です (メソッドの呼び出しや内部属性は使えません: {detail})"
        ) from None
    except UndefinedError as exc:
        raise MailTemplateError(f"{part}: 使えない変数です ({exc.message})。使える変数は docs/mail.md を参照") from None
    except TemplateError as exc:
        raise MailTemplateError(f"{part}: テンプレートを処理できません ({exc})") from None
    except (ArithmeticError, TypeError, ValueError, OverflowError) as exc:
        raise MailTemplateError(f"{part}: 値を処理できません ({exc.__class__.__name__}: {exc})") from None
    finally:
        _range_left.reset(token)


def render_for(order: Order, kind: str, shipment: Shipment | None = None) -> RenderedMail:
    """The mail of ``kind`` for an order (and, for a shipping mail, one shipment) with the shop's template."""
    subject, body, _own = template_texts(order.shop, kind)
    return render(subject, body, mail_context(order, shipment if kind == MailKind.SHIPPING.value else None))


def render_preview(
    shop: Shop, kind: str, order: Order, subject: str | None = None, body: str | None = None
) -> tuple[str, str]:
    """Subject and body of ``kind`` for a real order, with the saved template or the given draft texts.

    A shipping mail is previewed with the order's first shipment, or an example one when it has none yet.
    Raises :class:`MailTemplateError` as sending would.
    """
    saved_subject, saved_body, _own = template_texts(shop, kind)
    context = mail_context(order, None)
    if kind == MailKind.SHIPPING.value:
        shipment = Shipment.objects.filter(package__order=order).order_by("id").first()
        context["shipment"] = _shipment_context(shipment) if shipment else _example_shipment(context)
    mail = render(saved_subject if subject is None else subject, saved_body if body is None else body, context)
    return mail.subject, mail.body


def check_template(kind: str, subject: str, body: str) -> None:
    """Raise :class:`MailTemplateError` when the texts cannot render against a typical order's variables."""
    context = example_context()
    if kind != MailKind.SHIPPING.value:
        context.pop("shipment")
    render(subject, body, context)


def _date(value: date | None) -> str:
    return f"{value:%Y年%m月%d日}" if value else ""


def mail_context(order: Order, shipment: Shipment | None) -> dict[str, Any]:
    """The variables a template sees: plain values copied from the order, never the objects themselves."""
    packages = list(order.packages.prefetch_related("lines"))
    lines = [line for package in packages for line in package.lines.all()]
    first = packages[0] if packages else None
    context: dict[str, Any] = {
        "shop": {"name": order.shop.name, "code": order.shop.code},
        "order": {
            "number": order.mall_order_number,
            "ordered_at": f"{order.ordered_at.astimezone(JST):%Y年%m月%d日 %H:%M}",
            "buyer_name": order.buyer_name,
            "payment_method": order.payment_method,
            "remarks": order.remarks,
            "goods_total": order.goods_total,
            "postage": order.postage,
            "coupon_used": order.coupon_used,
            "points_used": order.points_used,
            "total": order.total,
        },
        "lines": [_line(line) for line in lines],
        "packages": [
            {
                "recipient_name": p.recipient_name,
                "postal_code": p.postal_code,
                "address": f"{p.prefecture}{p.city}{p.address1} {p.address2}".strip(),
                "delivery_method": p.delivery_method,
                "delivery_date": _date(p.requested_date),
                "delivery_time": p.delivery_time,
            }
            for p in packages
        ],
        "delivery_date": _date(first.requested_date) if first else "",
        "delivery_time": first.delivery_time if first else "",
    }
    if shipment is not None:
        context["shipment"] = _shipment_context(shipment)
    return context


def _line(line: Any) -> dict[str, Any]:
    return {
        "name": line.name or line.mall_item_id,
        "item_id": line.mall_item_id,
        "variant": line.mall_variant_id,
        "quantity": line.quantity,
        "unit_price": line.unit_price,
        "subtotal": line.unit_price * line.quantity,
    }


def _shipment_context(shipment: Shipment) -> dict[str, Any]:
    package = shipment.package
    return {
        "shipped_on": _date(shipment.shipped_on),
        "carrier_code": shipment.carrier_code,
        "carrier_name": carrier_name(shipment.carrier_code, shipment.carrier_name),
        "parcels": [
            {"tracking_number": n, "tracking_url": tracking_url(shipment.carrier_code, n)}
            for n in (p.tracking_number for p in shipment.parcels.all())
        ],
        "recipient_name": package.recipient_name,
        "delivery_date": _date(package.requested_date),
        "delivery_time": package.delivery_time,
        "lines": [_line(line) for line in package.lines.all()],
    }


def _example_shipment(context: dict[str, Any]) -> dict[str, Any]:
    first = context["packages"][0] if context["packages"] else {}
    return {
        "shipped_on": _date(datetime.now(JST).date()),
        "carrier_code": "1029",
        "carrier_name": carrier_name("1029"),
        "parcels": [{"tracking_number": "123456789012", "tracking_url": tracking_url("1029", "123456789012")}],
        "recipient_name": first.get("recipient_name", "山田 太郎"),
        "delivery_date": first.get("delivery_date", ""),
        "delivery_time": first.get("delivery_time", ""),
        "lines": context["lines"],
    }


def example_context() -> dict[str, Any]:
    """A typical order's variables, to check a template before it is saved."""
    line = {"name": "テスト商品", "item_id": "item-1", "variant": "赤", "quantity": 2, "unit_price": 1200}
    line["subtotal"] = 2400
    context: dict[str, Any] = {
        "shop": {"name": "テスト店", "code": "test"},
        "order": {
            "number": "123456-20261126-0000000001",
            "ordered_at": "2026年11月26日 10:00",
            "buyer_name": "山田 太郎",
            "payment_method": "クレジットカード",
            "remarks": "",
            "goods_total": 2400,
            "postage": 0,
            "coupon_used": 100,
            "points_used": 50,
            "total": 2250,
        },
        "lines": [line],
        "packages": [
            {
                "recipient_name": "山田 太郎",
                "postal_code": "1000001",
                "address": "東京都千代田区千代田1-1",
                "delivery_method": "宅配便",
                "delivery_date": "2026年11月28日",
                "delivery_time": "午前中",
            }
        ],
        "delivery_date": "2026年11月28日",
        "delivery_time": "午前中",
    }
    context["shipment"] = _example_shipment(context)
    return context
