"""Model fields that seal their value before it is written and open it when it is read (juchu.crypto).

The rest of the code reads and writes plain values: ``shop.credentials`` is a dict, ``smtp.password`` a
str. The column holds ``enc1:…`` text only. A value that no key of the ring opens does not break the query
that loads it: reading the attribute raises :class:`~juchu.crypto.SecretDecryptionError` naming the model,
field and row, and such a row cannot be saved over. The fields are not editable: no ModelForm or admin form
ever renders them (the settings screens take new values in password inputs and show them masked).
"""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.query_utils import DeferredAttribute

from juchu import crypto


class Undecryptable:
    """What a row holds in place of a secret that no key opens; reading it on a model instance raises."""

    def __init__(self, field: models.Field, reason: str) -> None:
        self.label = f"{field.model._meta.label}.{field.name}"
        self.reason = reason

    def error(self, pk: object = None) -> crypto.SecretDecryptionError:
        """The error naming the field and, when known, the row."""
        row = f" (id={pk})" if pk is not None else ""
        return crypto.SecretDecryptionError(
            f"{self.label}{row} を復号できません: 保存時と鍵が違います ({self.reason})。"
            "JUCHU_SECRET_KEY / secret.key を元に戻すか、以前の鍵を JUCHU_OLD_SECRET_KEYS に設定してください"
        )

    def __repr__(self) -> str:
        return f"<Undecryptable {self.label}>"


class SealedAttribute(DeferredAttribute):
    """The instance attribute: a data descriptor, so that an unopenable value raises when it is read."""

    def __get__(self, instance: Any, cls: Any = None) -> Any:
        if instance is None:
            return self
        value = super().__get__(instance, cls)
        if isinstance(value, Undecryptable):
            raise value.error(instance.pk)
        return value

    def __set__(self, instance: Any, value: Any) -> None:
        instance.__dict__[self.field.attname] = value


class EncryptedTextField(models.TextField):
    """A str stored sealed; "" and None are stored as they are (an unset password stays visibly unset)."""

    descriptor_class = SealedAttribute

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("editable", None)
        if self.editable:
            kwargs["editable"] = True
        return name, path, args, kwargs

    # -- python value <-> plaintext -------------------------------------------------------------------

    def encode(self, value: Any) -> str:
        """The plaintext that is sealed for a python value."""
        return str(value)

    def decode(self, plaintext: str) -> Any:
        """The python value of an opened plaintext (or of a legacy column value written in clear)."""
        return plaintext

    def is_empty(self, value: Any) -> bool:
        """Values stored without sealing."""
        return value is None or value == ""

    # -- database ---------------------------------------------------------------------------------------

    def open_stored(self, stored: str) -> Any:
        """The python value of a column value; an Undecryptable marker when no key opens it."""
        if not crypto.is_sealed(stored):
            # Written before the column was encrypted (the migration and `juchu rotate-key` seal these).
            return self.decode(stored) if stored != "" else self.decode_empty()
        try:
            return self.decode(crypto.unseal(stored))
        except crypto.SecretDecryptionError as exc:
            return Undecryptable(self, str(exc))

    def decode_empty(self) -> Any:
        """The python value of an empty column."""
        return ""

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None:
            return None
        return self.open_stored(value)

    def get_prep_value(self, value: Any) -> Any:
        if isinstance(value, Undecryptable):
            raise value.error()
        if self.is_empty(value):
            return value
        return crypto.seal(self.encode(value))

    def to_python(self, value: Any) -> Any:
        """A sealed string (fixtures from ``dumpdata``) is opened; anything else is a plain value."""
        if crypto.is_sealed(value):
            opened = self.open_stored(value)
            if isinstance(opened, Undecryptable):
                raise ValidationError(str(opened.error()), code="undecryptable")
            return opened
        return value

    def value_to_string(self, obj: models.Model) -> str:
        """Serialisation (``dumpdata``) writes the sealed value, never the secret."""
        value = self.value_from_object(obj)
        return "" if self.is_empty(value) else crypto.seal(self.encode(value))

    def get_internal_type(self) -> str:
        return "TextField"


class EncryptedJSONField(EncryptedTextField):
    """A JSON value (dict, list, str, number) stored sealed as its JSON text; None is stored as NULL."""

    def encode(self, value: Any) -> str:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))

    def decode(self, plaintext: str) -> Any:
        return json.loads(plaintext)

    def decode_empty(self) -> Any:
        return self.get_default()

    def is_empty(self, value: Any) -> bool:
        return value is None


def encrypted_fields() -> list[tuple[type[models.Model], EncryptedTextField]]:
    """Every (model, field) of the installed apps that stores a sealed value."""
    from django.apps import apps

    return [
        (model, field)
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if isinstance(field, EncryptedTextField)
    ]


# -- migrations -----------------------------------------------------------------------------------------


def _rows(schema_editor: Any, model: type[models.Model], column: str) -> list[tuple[Any, Any]]:
    quote = schema_editor.connection.ops.quote_name
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"SELECT {quote(model._meta.pk.column)}, {quote(column)} FROM {quote(model._meta.db_table)}")
        return list(cursor.fetchall())


def _write(schema_editor: Any, model: type[models.Model], column: str, pk: Any, value: str) -> None:
    quote = schema_editor.connection.ops.quote_name
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {quote(model._meta.db_table)} SET {quote(column)} = %s WHERE {quote(model._meta.pk.column)} = %s",
            [value, pk],
        )


def seal_column(apps: Any, schema_editor: Any, model_label: str, column: str) -> int:
    """Data migration: seal every value of ``column`` still stored in clear (JSON text or a password)."""
    model = apps.get_model(model_label)
    ring = crypto.KeyRing.configured()
    sealed = 0
    for pk, raw in _rows(schema_editor, model, column):
        if raw is None or raw == "" or crypto.is_sealed(raw):
            continue
        text = raw if isinstance(raw, str) else json.dumps(raw, ensure_ascii=False)
        _write(schema_editor, model, column, pk, ring.seal(text))
        sealed += 1
    return sealed


def open_column(apps: Any, schema_editor: Any, model_label: str, column: str) -> int:
    """Reverse data migration: write every sealed value of ``column`` back in clear."""
    model = apps.get_model(model_label)
    ring = crypto.KeyRing.configured()
    opened = 0
    for pk, raw in _rows(schema_editor, model, column):
        if crypto.is_sealed(raw):
            _write(schema_editor, model, column, pk, ring.open(raw))
            opened += 1
    return opened
