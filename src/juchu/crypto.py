"""Secrets at rest: the mall API keys, warehouse keys and SMTP passwords are sealed before they are stored.

A sealed value is ``enc1:`` followed by a Fernet token (AES-128-CBC + HMAC-SHA256, random IV, a timestamp).
The Fernet keys are derived with HKDF-SHA256 from the installation's secret (``settings.SECRET_KEY``:
``JUCHU_SECRET_KEY`` or the key file) under an info label of their own, so the encryption key is not the
key Django signs sessions with. The *key ring* is the current secret (the only one that seals) followed by
``settings.SECRET_KEY_FALLBACKS`` (they only open). The settings are read when a value is sealed or opened,
never at import; the derived keys are cached per secret. See ``docs/decisions/0006-secrets-at-rest.md``.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

#: The prefix of a sealed value; the digit is the format's version (a new format gets ``enc2:``).
PREFIX = "enc1:"
_SALT = b"juchu"
_INFO = b"juchu/secrets-at-rest/v1"


class SecretDecryptionError(RuntimeError):
    """A stored secret cannot be opened with any key of the ring (the key was changed or lost)."""


def derive_key(secret: str) -> bytes:
    """The Fernet key (url-safe base64 of 32 bytes) derived from an installation secret."""
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=_SALT, info=_INFO).derive(secret.encode("utf-8"))
    return base64.urlsafe_b64encode(raw)


@lru_cache(maxsize=16)
def _fernets(secrets: tuple[str, ...]) -> tuple[Fernet, ...]:
    return tuple(Fernet(derive_key(s)) for s in secrets)


def fingerprint(secret: str) -> str:
    """A short, non-reversible name for a secret (to tell keys apart in messages); never the key itself."""
    digest = hashes.Hash(hashes.SHA256())
    digest.update(derive_key(secret))
    return digest.finalize().hex()[:8]


def configured_secrets() -> tuple[str, ...]:
    """The key ring's secrets from the settings: the current one first, then the fallbacks."""
    from django.conf import settings

    return (settings.SECRET_KEY, *[s for s in settings.SECRET_KEY_FALLBACKS if s != settings.SECRET_KEY])


class KeyRing:
    """Seals with the first secret; opens with any of them."""

    def __init__(self, secrets: Sequence[str]) -> None:
        if not secrets or not secrets[0]:
            raise ValueError("the key ring needs a current secret")
        self.secrets = tuple(secrets)
        self._fernets = _fernets(self.secrets)

    @classmethod
    def configured(cls) -> KeyRing:
        """The ring of the running installation (settings read now)."""
        return cls(configured_secrets())

    def seal(self, plaintext: str) -> str:
        """``enc1:`` + a Fernet token of ``plaintext`` under the current key."""
        return PREFIX + self._fernets[0].encrypt(plaintext.encode("utf-8")).decode("ascii")

    def open(self, sealed: str) -> str:
        """The plaintext of a sealed value; raises SecretDecryptionError when no key of the ring opens it."""
        return self.open_with_index(sealed)[0]

    def open_with_index(self, sealed: str) -> tuple[str, int]:
        """(plaintext, index of the key that opened it: 0 is the current key)."""
        if not is_sealed(sealed):
            raise SecretDecryptionError(f"暗号文ではありません ({PREFIX} で始まらない)")
        token = sealed[len(PREFIX) :].encode("ascii", "replace")
        for index, fernet in enumerate(self._fernets):
            try:
                return fernet.decrypt(token).decode("utf-8"), index
            except InvalidToken:
                continue
        raise SecretDecryptionError(f"試した鍵: {', '.join(fingerprint(s) for s in self.secrets)}")


def is_sealed(value: object) -> bool:
    """Whether ``value`` is a sealed string (``enc1:…``)."""
    return isinstance(value, str) and value.startswith(PREFIX)


def seal(plaintext: str) -> str:
    """Seal ``plaintext`` under the installation's current key."""
    return KeyRing.configured().seal(plaintext)


def unseal(sealed: str) -> str:
    """Open a sealed value with the installation's key ring; SecretDecryptionError when no key opens it."""
    return KeyRing.configured().open(sealed)
