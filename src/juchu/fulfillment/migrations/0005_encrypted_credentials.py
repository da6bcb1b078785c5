"""Warehouse.credentials is sealed at rest (juchu.crypto): a text column of ``enc1:…`` values; rows sealed."""

from django.db import migrations

import juchu.crypto_fields
from juchu.crypto_fields import open_column, seal_column


def seal(apps, schema_editor):
    seal_column(apps, schema_editor, "fulfillment.Warehouse", "credentials")


def unseal(apps, schema_editor):
    open_column(apps, schema_editor, "fulfillment.Warehouse", "credentials")


class Migration(migrations.Migration):
    dependencies = [
        ("fulfillment", "0004_warehouse_last_stock_sync_at"),
    ]

    operations = [
        migrations.AlterField(
            model_name="warehouse",
            name="credentials",
            field=juchu.crypto_fields.EncryptedJSONField(blank=True, default=dict),
        ),
        migrations.RunPython(seal, unseal),
    ]
