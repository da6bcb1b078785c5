"""The scale-out runtime's Celery application, configured from Django settings (``JUCHU_BROKER_URL``).

Nothing connects at import time: the configuration is read when Celery first needs it (a worker starting,
beat starting, a task being sent). ``juchu worker`` and ``juchu scheduler`` start it; the tasks themselves
are in :mod:`juchu.runtime.tasks` and only call the sweep registry.
"""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "juchu.settings")

#: The queue every wake-up goes to; workers on any machine consume it.
QUEUE = "juchu"

app = Celery("juchu", include=["juchu.runtime.tasks"])


def _config() -> dict[str, object]:
    from django.conf import settings

    from juchu.runtime.tasks import beat_schedule

    return {
        "broker_url": settings.JUCHU_BROKER_URL,
        "broker_connection_retry_on_startup": True,
        "task_default_queue": QUEUE,
        # A wake-up carries no data worth keeping: no result backend, no late acks. A worker killed in the
        # middle of a sweep loses the wake-up only; its lease expires and the next tick takes the scope over.
        "task_ignore_result": True,
        "task_acks_late": False,
        "worker_prefetch_multiplier": 1,
        "worker_hijack_root_logger": False,
        "timezone": "UTC",
        "enable_utc": True,
        "beat_schedule": beat_schedule(),
    }


app.add_defaults(_config)
