"""The grace period is kept in seconds (the demo shortens it to 60 s; minutes were too coarse)."""

from django.db import migrations, models


def minutes_to_seconds(apps, schema_editor):
    Shop = apps.get_model("shops", "Shop")
    for shop in Shop.objects.exclude(grace_period_seconds__isnull=True):
        shop.grace_period_seconds *= 60
        shop.save(update_fields=["grace_period_seconds"])


def seconds_to_minutes(apps, schema_editor):
    Shop = apps.get_model("shops", "Shop")
    for shop in Shop.objects.exclude(grace_period_seconds__isnull=True):
        shop.grace_period_seconds //= 60
        shop.save(update_fields=["grace_period_seconds"])


class Migration(migrations.Migration):
    dependencies = [("shops", "0003_shop_last_sync_attempt_at")]

    operations = [
        migrations.RenameField("shop", "grace_period_minutes", "grace_period_seconds"),
        migrations.AlterField(
            model_name="shop",
            name="grace_period_seconds",
            field=models.PositiveIntegerField(blank=True, help_text="秒。空欄: モールの既定値", null=True),
        ),
        migrations.RunPython(minutes_to_seconds, seconds_to_minutes),
    ]
