"""Token authentication (``Authorization: Bearer <token>``) with the caller's role checked per operation."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer

from juchu.api.tokens import user_for_token
from juchu.web.auth import Role, has_role


class RoleRequired(Exception):
    """The token is good but its user's role is below what the operation needs (403)."""

    def __init__(self, needed: Role) -> None:
        super().__init__(f"この操作には「{needed.label_ja}」以上の権限が必要です")
        self.needed = needed


class TokenAuth(HttpBearer):
    """A bearer token of an active user holding at least ``role``; no token or a bad one is 401."""

    def __init__(self, role: Role) -> None:
        super().__init__()
        self.role = role

    def authenticate(self, request: HttpRequest, token: str) -> Any | None:
        """The token's user, or None (401); RoleRequired (403) when the user's role is too low."""
        user = user_for_token(token.strip(), timezone.now())
        if user is None:
            return None
        if not has_role(user, self.role):
            raise RoleRequired(self.role)
        request.user = user
        return user


#: Reads (GET): any role.
VIEWER = TokenAuth(Role.VIEWER)
#: Order actions.
OPERATOR = TokenAuth(Role.OPERATOR)
#: Writes to shops, products and mappings.
ADMIN = TokenAuth(Role.ADMIN)


def actor(request: HttpRequest) -> str:
    """The name an API call writes into the timeline: ``api:<username>``."""
    return f"api:{request.user.get_username()}"
