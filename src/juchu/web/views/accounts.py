"""Log in (with the lock-out after repeated failures), log out and switch the language."""

from __future__ import annotations

import logging

from django.contrib.auth import logout
from django.contrib.auth.views import LoginView as DjangoLoginView
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from juchu.web import lockout

log = logging.getLogger("juchu.web.lockout")


class LoginView(DjangoLoginView):
    """The login page (registration/login.html); refuses every attempt while the username or address is locked."""

    redirect_authenticated_user = True

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        """Check the lock before the password: a locked attempt is refused whatever it says."""
        username = request.POST.get("username", "")
        lock = lockout.lock_for(username, lockout.client_ip(request))
        if lock is not None:
            log.info("login refused (locked, %s) for username=%r", lock.key, lockout.normalise(username))
            return self._locked(lock)
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form) -> HttpResponse:
        """Count the failure; the attempt that reaches the limit already shows the lock message."""
        username = self.request.POST.get("username", "")
        lock = lockout.record_failure(username, lockout.client_ip(self.request))
        if lock is not None:
            return self._locked(lock)
        return super().form_invalid(form)

    def form_valid(self, form) -> HttpResponse:
        """A successful login forgets the username's failures."""
        lockout.clear(form.get_user().get_username())
        return super().form_valid(form)

    def _locked(self, lock: lockout.Lock) -> HttpResponse:
        form = self.get_form_class()(self.request)
        context = self.get_context_data(form=form, locked_message=lock.message)
        return self.render_to_response(context, status=429)


class AdminLoginView(LoginView):
    """/admin/login/: the same page and lock-out as /login/ (Django's own admin login would bypass the lock-out)."""

    redirect_authenticated_user = False
    next_page = "/admin/"

    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        """A signed-in user goes on to the admin, or gets 403 without staff status (no redirect loop)."""
        if request.user.is_authenticated:
            if not (request.user.is_active and request.user.is_staff):
                raise PermissionDenied("管理画面 (/admin/) はスタッフ権限のあるユーザーだけが使えます")
            return redirect(self.get_success_url())
        return super().dispatch(request, *args, **kwargs)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    """Log out and go back to the login page."""
    logout(request)
    return redirect("login")


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Switch between 日本語 and English (kept in a cookie), then go back where the user was."""
    target = request.POST.get("next", "/")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        request.POST = request.POST.copy()
        request.POST["next"] = "/"
    return django_set_language(request)
