"""メール › 送信メール: every mail rendered for a buyer, newest first, each readable, a failed one resendable.

The templates and SMTP settings are in :mod:`juchu.web.views.mails_templates`.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from juchu.domain.effects import EffectState
from juchu.mail.models import OutgoingMail
from juchu.mail.sending import retry_mail
from juchu.mail.services import outgoing_mails
from juchu.web.auth import operator_required, viewer_required
from juchu.web.forms_mail import OutboxFilterForm

PAGE_SIZE = 50


def _filtered(filters: dict) -> QuerySet[OutgoingMail]:
    mails = outgoing_mails(filters.get("shop"))
    if filters.get("kind"):
        mails = mails.filter(kind=filters["kind"])
    state = filters.get("state")
    if state == "sent":
        mails = mails.filter(sent_at__isnull=False)
    elif state == "failed":
        mails = mails.filter(sent_at__isnull=True, effect__state=EffectState.FAILED.value)
    elif state == "pending":
        mails = mails.filter(sent_at__isnull=True).exclude(effect__state=EffectState.FAILED.value)
    return mails


def state_of(mail: OutgoingMail) -> tuple[str, str]:
    """(label, CSS class) of a mail: 送信済, 失敗 (waits for a person), 再送待ち or 未送信."""
    if mail.sent_at is not None:
        return "送信済", "ok"
    if mail.effect.state == EffectState.FAILED.value:
        return "失敗", "danger"
    return ("再送待ち", "warn") if mail.last_error else ("未送信", "muted")


@viewer_required
def outbox(request: HttpRequest) -> HttpResponse:
    """送信メール一覧: newest first, filtered by shop, kind and state."""
    form = OutboxFilterForm(request.GET or None)
    page = Paginator(_filtered(form.filters()), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [(mail, *state_of(mail)) for mail in page.object_list]
    return render(request, "juchu/mail/outbox.html", {"form": form, "page": page, "rows": rows})


@viewer_required
def mail_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One mail as the buyer gets it: headers, body, attempts and the last error."""
    mail = get_object_or_404(OutgoingMail.objects.select_related("order", "order__shop", "effect"), pk=pk)
    label, css = state_of(mail)
    return render(
        request,
        "juchu/mail/detail.html",
        {"mail": mail, "state_label": label, "state_class": css, "can_retry": label == "失敗"},
    )


@operator_required
@require_POST
def mail_retry(request: HttpRequest, pk: int) -> HttpResponse:
    """再送: queue a failed mail again; the very same message goes out on the next mail pass."""
    mail = get_object_or_404(OutgoingMail, pk=pk)
    if retry_mail(mail.effect_id, timezone.now(), request.user.get_username()):
        messages.success(request, "再送を予約しました。まもなく同じメールを送り直します")
    else:
        messages.warning(request, "このメールは失敗の状態ではないため、再送しませんでした")
    return redirect("mail-detail", pk=mail.pk)
