"""WSGI entry point for ``juchu serve`` and ``juchu web``."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "juchu.settings")
application = get_wsgi_application()
