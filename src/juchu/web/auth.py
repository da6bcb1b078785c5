"""Roles (管理者, オペレーター, 閲覧) and the checks every view and API call goes through.

A user's role is the Django group of the same code; a superuser is always an admin. Roles are ordered:
an admin may do what an operator may, an operator what a viewer may.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import IntEnum
from functools import wraps
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse


class Role(IntEnum):
    """What a user may do; a higher role includes the lower ones."""

    VIEWER = 1
    OPERATOR = 2
    ADMIN = 3

    @property
    def code(self) -> str:
        """The group name that carries the role."""
        return self.name.lower()

    @property
    def label_ja(self) -> str:
        """The role's Japanese name."""
        return {Role.VIEWER: "閲覧", Role.OPERATOR: "オペレーター", Role.ADMIN: "管理者"}[self]

    @property
    def label_en(self) -> str:
        """The role's English name."""
        return {Role.VIEWER: "Viewer", Role.OPERATOR: "Operator", Role.ADMIN: "Administrator"}[self]

    @classmethod
    def from_code(cls, code: str) -> Role:
        """The role named by ``code`` (admin, operator, viewer); ValueError otherwise."""
        for role in cls:
            if role.code == code:
                return role
        raise ValueError(f"unknown role {code!r}: use admin, operator or viewer")


def user_role(user: Any) -> Role | None:
    """The user's role, or None for anonymous and inactive users and users without a role."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    cached = getattr(user, "_juchu_role", False)
    if cached is not False:
        return cached
    role: Role | None
    if user.is_superuser:
        role = Role.ADMIN
    else:
        codes = set(user.groups.values_list("name", flat=True))
        role = max((r for r in Role if r.code in codes), default=None)
    user._juchu_role = role
    return role


def has_role(user: Any, needed: Role) -> bool:
    """Whether the user holds ``needed`` or a higher role."""
    role = user_role(user)
    return role is not None and role >= needed


def set_role(user: Any, role: Role) -> None:
    """Give the user exactly one role."""
    groups = [Group.objects.get_or_create(name=r.code)[0] for r in Role]
    user.groups.remove(*groups)
    user.groups.add(next(g for g in groups if g.name == role.code))
    user._juchu_role = False


def create_user(username: str, password: str, role: Role, **fields: Any) -> Any:
    """A new active user with one role."""
    user = get_user_model().objects.create_user(username=username, password=password, **fields)
    set_role(user, role)
    return user


def role_required(needed: Role) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """A view decorator: anonymous users go to the login page; a user below ``needed`` gets 403."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not has_role(request.user, needed):
                raise PermissionDenied(f"この操作には「{needed.label_ja}」以上の権限が必要です")
            return view(request, *args, **kwargs)

        checked.juchu_role = needed  # type: ignore[attr-defined]  # read by the permission-matrix test
        return checked

    return decorate


viewer_required = role_required(Role.VIEWER)
operator_required = role_required(Role.OPERATOR)
admin_required = role_required(Role.ADMIN)
