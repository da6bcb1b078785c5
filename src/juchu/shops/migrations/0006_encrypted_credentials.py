"""Shop.credentials is sealed at rest (juchu.crypto): a text column of ``enc1:…`` values; existing rows sealed."""

from django.db import migrations

import juchu.crypto_fields
from juchu.crypto_fields import open_column, seal_column


def seal(apps, schema_editor):
    seal_column(apps, schema_editor, "shops.Shop", "credentials")


def unseal(apps, schema_editor):
    open_column(apps, schema_editor, "shops.Shop", "credentials")


class Migration(migrations.Migration):
    dependencies = [
        ("shops", "0005_shop_last_stock_push_at_shop_last_stock_push_error"),
    ]

    operations = [
        migrations.AlterField(
            model_name="shop",
            name="credentials",
            field=juchu.crypto_fields.EncryptedJSONField(blank=True, default=dict),
        ),
        migrations.RunPython(seal, unseal),
    ]
