"""SmtpSettings.password is sealed at rest (juchu.crypto): a text column of ``enc1:…`` values; rows sealed."""

from django.db import migrations

import juchu.crypto_fields
from juchu.crypto_fields import open_column, seal_column


def seal(apps, schema_editor):
    seal_column(apps, schema_editor, "mail.SmtpSettings", "password")


def unseal(apps, schema_editor):
    open_column(apps, schema_editor, "mail.SmtpSettings", "password")


class Migration(migrations.Migration):
    dependencies = [
        ("mail", "0002_templates_smtp_attempts"),
    ]

    operations = [
        migrations.AlterField(
            model_name="smtpsettings",
            name="password",
            field=juchu.crypto_fields.EncryptedTextField(blank=True),
        ),
        migrations.RunPython(seal, unseal),
    ]
