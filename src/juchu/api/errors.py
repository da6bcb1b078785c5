"""Every error the API answers, as one JSON shape: ``{"detail": "...", "errors": [{"field", "message"}]}``.

Messages are Japanese and name the field. Nothing a client sends may end in a 500.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from juchu.api.auth import RoleRequired
from juchu.domain.errors import DomainError, StaleOrder
from juchu.orders.queries import FilterError

_NAMES = {
    "Order": "注文",
    "Package": "送付先",
    "OrderLine": "明細",
    "Shop": "ショップ",
    "Product": "商品",
    "MallItemMapping": "商品マッピング",
    "Warehouse": "倉庫",
}

#: pydantic error types → Japanese, formatted with the error's ``ctx``.
_MESSAGES = {
    "missing": "必須です",
    "int_parsing": "整数で指定してください",
    "int_type": "整数で指定してください",
    "int_from_float": "整数で指定してください",
    "bool_parsing": "true か false で指定してください",
    "bool_type": "true か false で指定してください",
    "string_type": "文字列で指定してください",
    "date_parsing": "日付は YYYY-MM-DD で指定してください",
    "date_from_datetime_parsing": "日付は YYYY-MM-DD で指定してください",
    "date_from_datetime_inexact": "日付は YYYY-MM-DD で指定してください",
    "date_type": "日付は YYYY-MM-DD で指定してください",
    "greater_than_equal": "{ge} 以上にしてください",
    "greater_than": "{gt} より大きくしてください",
    "less_than_equal": "{le} 以下にしてください",
    "less_than": "{lt} より小さくしてください",
    "string_too_long": "{max_length} 文字以内にしてください",
    "string_too_short": "{min_length} 文字以上にしてください",
    "string_pattern_mismatch": "形式が正しくありません (英数字・-・_ のみ)",
    "literal_error": "次のいずれかを指定してください: {expected}",
    "enum": "次のいずれかを指定してください: {expected}",
    "list_type": "配列で指定してください",
    "model_attributes_type": "オブジェクトで指定してください",
    "dict_type": "オブジェクトで指定してください",
    "json_invalid": "JSON として読めません",
    "extra_forbidden": "この項目は指定できません",
}


def error(api: NinjaAPI, request: HttpRequest, status: int, detail: str, errors: Any = ()) -> HttpResponse:
    """The one error response shape."""
    return api.create_response(request, {"detail": detail, "errors": list(errors)}, status=status)


def _field(loc: Any) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "params", "payload", "filters")]
    return ".".join(parts) or "body"


def _message(item: dict[str, Any]) -> str:
    ctx = item.get("ctx") or {}
    template = _MESSAGES.get(item.get("type", ""))
    if item.get("type") == "value_error" and "error" in ctx:
        return str(ctx["error"])
    if template:
        try:
            return template.format(**ctx)
        except (KeyError, IndexError):
            pass
    return str(item.get("msg", "値が正しくありません"))


def install(api: NinjaAPI) -> None:
    """Register the handlers that turn exceptions into the error shape."""

    def validation(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        items = [{"field": _field(e.get("loc", ())), "message": _message(e)} for e in exc.errors]
        detail = "入力が正しくありません: " + " / ".join(f"{i['field']}: {i['message']}" for i in items)
        return error(api, request, 422, detail, items)

    def filter_error(request: HttpRequest, exc: FilterError) -> HttpResponse:
        field, _, message = str(exc).partition(": ")
        return error(api, request, 422, str(exc), [{"field": field, "message": message or str(exc)}])

    def django_validation(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
        if hasattr(exc, "error_dict"):
            items = [{"field": f, "message": " ".join(m)} for f, m in exc.message_dict.items()]
        else:
            items = [{"field": "body", "message": m} for m in exc.messages]
        detail = "入力が正しくありません: " + " / ".join(f"{i['field']}: {i['message']}" for i in items)
        return error(api, request, 422, detail, items)

    def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        detail = "認証が必要です: 有効な APIトークンを Authorization: Bearer <トークン> で送ってください"
        response = error(api, request, 401, detail)
        response["WWW-Authenticate"] = 'Bearer realm="juchu"'
        return response

    def forbidden(request: HttpRequest, exc: RoleRequired) -> HttpResponse:
        return error(api, request, 403, str(exc))

    def not_found(request: HttpRequest, exc: ObjectDoesNotExist) -> HttpResponse:
        model = type(exc).__qualname__.split(".")[0]
        return error(api, request, 404, f"指定された{_NAMES.get(model, 'データ')}が見つかりません")

    def stale(request: HttpRequest, exc: StaleOrder) -> HttpResponse:
        detail = f"注文は他の操作で更新されています (version {exc.expected_version} は古い)。読み直してください"
        return error(api, request, 409, detail)

    def refused(request: HttpRequest, exc: DomainError) -> HttpResponse:
        return error(api, request, 409, str(exc))

    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        detail = "リクエスト本文を JSON として読めません" if exc.status_code == 400 else str(exc)
        return error(api, request, exc.status_code, detail)

    api.add_exception_handler(ValidationError, validation)
    api.add_exception_handler(FilterError, filter_error)
    api.add_exception_handler(DjangoValidationError, django_validation)
    api.add_exception_handler(AuthenticationError, unauthenticated)
    api.add_exception_handler(RoleRequired, forbidden)
    api.add_exception_handler(ObjectDoesNotExist, not_found)
    api.add_exception_handler(StaleOrder, stale)
    api.add_exception_handler(DomainError, refused)
    api.add_exception_handler(HttpError, http_error)
