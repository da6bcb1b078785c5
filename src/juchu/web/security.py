"""Security headers on every response: the Content-Security-Policy (the other headers come from Django's settings:
X_FRAME_OPTIONS, SECURE_CONTENT_TYPE_NOSNIFF, SECURE_REFERRER_POLICY, HSTS behind TLS).

The workbench runs no inline script (its behaviour is in static/juchu/juchu.js, htmx runs with
``allowEval: false``), and Django 5.2's admin has none either, so ``script-src 'self'`` holds on every page,
/admin/ included (tests/e2e/test_ui_orders.py checks the main pages and the admin in Chromium).
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

#: The policy of every page. Inline styles stay allowed: the templates and htmx's indicator use them.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)


class SecurityHeadersMiddleware:
    """Adds the Content-Security-Policy unless a view set its own."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CSP)
        return response
