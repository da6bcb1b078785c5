"""What every workbench page knows: the user's role and the navigation."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from juchu.web.auth import Role, user_role


def workbench(request: HttpRequest) -> dict[str, Any]:
    """The role flags the templates use to show or hide actions."""
    role = user_role(getattr(request, "user", None))
    return {
        "role": role,
        "can_operate": role is not None and role >= Role.OPERATOR,
        "can_admin": role is not None and role >= Role.ADMIN,
    }
