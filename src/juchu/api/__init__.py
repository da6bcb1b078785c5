"""The REST API (/api/v1), django-ninja."""
