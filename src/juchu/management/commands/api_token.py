"""``juchu api-token``: issue (``--user NAME [--name LABEL]``), list (``--list [--user NAME]``) and revoke
(``--revoke PREFIX --user NAME``) REST API tokens. A new token is shown only once; only its hash is stored."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from juchu.api.models import ApiToken
from juchu.api.tokens import issue_token, revoke_token
from juchu.web.auth import user_role


class Command(BaseCommand):
    help = "REST API のトークンを発行します (標準出力に一度だけ表示)。--list で一覧、--revoke PREFIX で失効させます"

    def add_arguments(self, parser) -> None:
        parser.add_argument("--user", help="ユーザー名 (発行と失効では必須)")
        parser.add_argument("--name", default="", help="用途のメモ (例: 出荷連携)")
        action = parser.add_mutually_exclusive_group()
        action.add_argument("--revoke", metavar="PREFIX", help="この表示用接頭辞のトークンを失効させる")
        action.add_argument("--list", action="store_true", help="トークンの一覧 (接頭辞・用途・作成・最終使用・状態)")

    def handle(self, *args, **options) -> None:
        """Issue, list or revoke; a new token goes alone to stdout so scripts can capture it."""
        now = timezone.now()
        username = options["user"]
        if options["list"]:
            self._list(username)
            return
        if not username:
            raise CommandError("--user でユーザー名を指定してください")
        if options["revoke"]:
            count = revoke_token(options["revoke"], now, username=username)
            if not count:
                raise CommandError(f"{username} の有効なトークン {options['revoke']}… はありません")
            self.stderr.write(f"トークン {options['revoke']}… を失効させました")
            return
        try:
            user = get_user_model().objects.get_by_natural_key(username)
        except get_user_model().DoesNotExist:
            raise CommandError(f"ユーザー {username} は登録されていません") from None
        if not user.is_active:
            raise CommandError(f"ユーザー {username} は無効になっています")
        row, token = issue_token(user, options["name"], now)
        self.stdout.write(token)
        role = user_role(user)
        self.stderr.write(
            f"{user.get_username()} のトークン {row.prefix}… を発行しました"
            f" (権限: {role.label_ja if role else 'なし — すべての呼び出しが 403 になります'})。"
            "この表示の後は二度と表示されません"
        )

    def _list(self, username: str | None) -> None:
        """One tab-separated line per token: user, prefix, name, created, last used, state."""
        tokens = ApiToken.objects.select_related("user").order_by("user__username", "-created_at", "-id")
        if username:
            tokens = tokens.filter(user__username=username)
        for token in tokens:
            state = "有効" if token.active else f"失効 {_local(token.revoked_at)}"
            used = _local(token.last_used_at) if token.last_used_at else "-"
            fields = (token.user.get_username(), token.prefix, token.name or "-", _local(token.created_at))
            self.stdout.write("\t".join((*fields, used, state)))


def _local(at) -> str:
    """A stored (UTC) time as Asia/Tokyo, to the minute."""
    return f"{timezone.localtime(at):%Y-%m-%d %H:%M}"
