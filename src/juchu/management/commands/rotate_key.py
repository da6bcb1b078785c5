"""``juchu rotate-key``: seal every stored secret (API keys, SMTP passwords) under a new key.

Stop Juchu first (a running server keeps the key it started with). Two modes, as the secret is configured:

* key file (no ``JUCHU_SECRET_KEY``): the next key is written to ``secret.key.new`` (0600) before anything
  else; every row is re-sealed under it in one transaction; then the current key is kept as
  ``secret.key.old`` and ``secret.key.new`` becomes ``secret.key``. Interrupted at any point, the settings
  still read all three files, and running the command again finishes the same rotation.
* environment: set ``JUCHU_SECRET_KEY`` to the new secret and ``JUCHU_OLD_SECRET_KEYS`` to the previous
  one(s), run the command, then drop ``JUCHU_OLD_SECRET_KEYS``.

Rows already sealed under the current key are left alone, so a second run changes nothing. On SQLite the
file is then vacuumed, so that the replaced values do not linger in free pages. ``--check`` only counts.
See docs/security.md.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from juchu import crypto, crypto_keys
from juchu.crypto_fields import encrypted_fields

CURRENT, OLD, CLEAR, EMPTY = "current", "old", "clear", "empty"


class Command(BaseCommand):
    help = "保存済みのAPIキー・SMTPパスワードを新しい鍵で暗号化し直します (Juchu を止めてから実行)"
    requires_system_checks: list[str] = []

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--check", action="store_true", help="書き換えずに、どの鍵で暗号化された行が何件あるか数える"
        )
        parser.add_argument("--no-vacuum", action="store_true", help="SQLite の VACUUM を省く")

    def handle(self, *args, **options) -> None:
        key_file: Path | None = settings.JUCHU_SECRET_KEY_FILE
        if options["check"]:
            counts = self._reseal(crypto.KeyRing.configured(), write=False)
            self._report(counts, "確認")
            if counts[OLD] or counts[CLEAR]:
                raise CommandError("古い鍵または平文の行が残っています。juchu rotate-key を実行してください")
            return
        if key_file is None:
            self._rotate_env()
        else:
            self._rotate_file(key_file)
        if not options["no_vacuum"]:
            self._vacuum()

    def _vacuum(self) -> None:
        """SQLite keeps replaced values in free pages and the WAL: rewrite the file so the old texts are gone."""
        if connection.vendor != "sqlite" or connection.in_atomic_block:
            return
        with connection.cursor() as cursor:
            cursor.execute("VACUUM")
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self.stdout.write("SQLite: VACUUM しました (置き換えた古い暗号文・平文はファイルに残っていません)")

    def _rotate_env(self) -> None:
        if not settings.SECRET_KEY_FALLBACKS:
            self.stderr.write(
                "JUCHU_OLD_SECRET_KEYS が空です: 鍵を替えるには JUCHU_SECRET_KEY に新しい鍵、"
                "JUCHU_OLD_SECRET_KEYS に今の鍵を設定して実行してください。いまの行を現在の鍵にそろえます"
            )
        counts = self._reseal(crypto.KeyRing.configured(), write=True)
        self._report(counts, "再暗号化")
        self.stdout.write(
            "すべての行が現在の鍵 (JUCHU_SECRET_KEY) で暗号化されました。JUCHU_OLD_SECRET_KEYS は外せます"
        )

    def _rotate_file(self, key_file: Path) -> None:
        new_path = key_file.with_name(key_file.name + crypto_keys.NEW_SUFFIX)
        old_path = key_file.with_name(key_file.name + crypto_keys.OLD_SUFFIX)
        current = crypto_keys.read_key_file(key_file) or settings.SECRET_KEY
        new = crypto_keys.read_key_file(new_path)
        if new is None:
            new = crypto_keys.new_secret()
            crypto_keys.write_key_file(new_path, new)
        else:
            self.stdout.write(f"中断された鍵の交換を続けます ({new_path})")
        others = [s for s in (current, *settings.SECRET_KEY_FALLBACKS) if s != new]
        counts = self._reseal(crypto.KeyRing([new, *others]), write=True)
        # Every row now opens with the new key: only then does it become the key file.
        crypto_keys.write_key_file(old_path, current, replace=True)
        new_path.replace(key_file)
        self._report(counts, "再暗号化")
        self.stdout.write(
            f"新しい鍵 {crypto.fingerprint(new)} を {key_file} に書きました。以前の鍵 {crypto.fingerprint(current)} は"
            f" {old_path} に残しています (それより前のバックアップを戻すときに使います。不要なら削除できます)"
        )

    def _reseal(self, ring: crypto.KeyRing, *, write: bool) -> Counter[str]:
        """Count (and with ``write`` re-seal under the ring's first key) every sealed column value."""
        counts: Counter[str] = Counter()
        failures: list[str] = []
        quote = connection.ops.quote_name
        with transaction.atomic(), connection.cursor() as cursor:
            for model, field in encrypted_fields():
                table, pk, column = quote(model._meta.db_table), quote(model._meta.pk.column), quote(field.column)
                cursor.execute(f"SELECT {pk}, {column} FROM {table} ORDER BY {pk}")
                for row_id, raw in cursor.fetchall():
                    if raw is None or raw == "":
                        counts[EMPTY] += 1
                        continue
                    if not crypto.is_sealed(raw):
                        counts[CLEAR] += 1
                        plaintext = raw
                    else:
                        try:
                            plaintext, index = ring.open_with_index(raw)
                        except crypto.SecretDecryptionError:
                            failures.append(f"{model._meta.label}.{field.name} (id={row_id})")
                            continue
                        if index == 0:
                            counts[CURRENT] += 1
                            continue
                        counts[OLD] += 1
                    if write:
                        update = f"UPDATE {table} SET {column} = %s WHERE {pk} = %s"
                        cursor.execute(update, [ring.seal(plaintext), row_id])
            if failures:
                raise CommandError(
                    f"次の {len(failures)} 行はどの鍵でも復号できません (何も書き換えていません):"
                    f" {', '.join(failures)}。"
                    "以前の鍵を JUCHU_OLD_SECRET_KEYS に設定してから実行してください"
                )
        return counts

    def _report(self, counts: Counter[str], verb: str) -> None:
        self.stdout.write(
            f"{verb}: 旧鍵 {counts[OLD]} 件, 平文 {counts[CLEAR]} 件"
            f" / 現在の鍵のまま {counts[CURRENT]} 件, 空 {counts[EMPTY]} 件"
        )
