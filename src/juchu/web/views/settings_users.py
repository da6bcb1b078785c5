"""設定 › ユーザー: create users with a role, change roles, deactivate, reset passwords, revoke API tokens."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from juchu.api.models import ApiToken
from juchu.web import settings_services as services
from juchu.web.auth import Role, admin_required
from juchu.web.forms_settings import PasswordResetForm, RoleForm, UserCreateForm


@admin_required
def user_list(request: HttpRequest) -> HttpResponse:
    """Every user with role and state, and the form to add one."""
    users = get_user_model().objects.prefetch_related("groups").order_by("-is_active", "username")
    rows = [(u, _role_of(u)) for u in users]
    form = UserCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        user = services.add_user(data["username"], data["password1"], Role.from_code(data["role"]), data["email"])
        messages.success(request, f"ユーザー「{user.username}」を作成しました")
        return redirect("settings-users")
    return render(request, "juchu/settings/users.html", {"rows": rows, "form": form})


def _role_of(user) -> Role | None:
    """The role a user holds by group (shown for inactive users too); a superuser is an admin."""
    if user.is_superuser:
        return Role.ADMIN
    codes = {group.name for group in user.groups.all()}
    return max((role for role in Role if role.code in codes), default=None)


def _detail(request: HttpRequest, user, role_form=None, password_form=None) -> HttpResponse:
    role = _role_of(user)
    context = {
        "account": user,
        "account_role": role,
        "role_form": role_form or RoleForm(initial={"role": role.code if role else ""}, prefix="role"),
        "password_form": password_form or PasswordResetForm(user=user, prefix="pw"),
        "tokens": list(ApiToken.objects.filter(user=user)),
    }
    return render(request, "juchu/settings/user_detail.html", context)


@admin_required
def user_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One user: change role, reset password, deactivate or reactivate."""
    return _detail(request, get_object_or_404(get_user_model(), pk=pk))


@admin_required
@require_POST
def user_role_change(request: HttpRequest, pk: int) -> HttpResponse:
    """Give the user another role."""
    user = get_object_or_404(get_user_model(), pk=pk)
    form = RoleForm(request.POST, prefix="role")
    if not form.is_valid():
        return _detail(request, user, role_form=form)
    role = Role.from_code(form.cleaned_data["role"])
    try:
        services.change_role(user, role, request.user)
    except services.LockOut as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"「{user.username}」の権限を{role.label_ja}にしました")
    return redirect("settings-user", pk=user.pk)


@admin_required
@require_POST
def user_active(request: HttpRequest, pk: int) -> HttpResponse:
    """Deactivate (active=0) or reactivate (active=1) a user."""
    user = get_object_or_404(get_user_model(), pk=pk)
    active = request.POST.get("active") == "1"
    try:
        services.set_active(user, active, request.user)
    except services.LockOut as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"「{user.username}」を{'有効' if active else '無効'}にしました")
    return redirect("settings-user", pk=user.pk)


@admin_required
@require_POST
def user_password(request: HttpRequest, pk: int) -> HttpResponse:
    """Set a new password, checked by the password validators."""
    user = get_object_or_404(get_user_model(), pk=pk)
    form = PasswordResetForm(request.POST, user=user, prefix="pw")
    if not form.is_valid():
        return _detail(request, user, password_form=form)
    services.reset_password(user, form.cleaned_data["password1"])
    messages.success(request, f"「{user.username}」のパスワードを変更しました")
    return redirect("settings-user", pk=user.pk)


@admin_required
@require_POST
def token_revoke(request: HttpRequest, pk: int, token_id: int) -> HttpResponse:
    """Revoke one of the user's API tokens at once (it stays listed as revoked)."""
    user = get_object_or_404(get_user_model(), pk=pk)
    token = get_object_or_404(ApiToken, pk=token_id, user=user)
    if ApiToken.objects.filter(pk=token.pk, revoked_at=None).update(revoked_at=timezone.now()):
        messages.success(request, f"APIトークン {token.prefix}… を失効させました")
    return redirect("settings-user", pk=user.pk)
