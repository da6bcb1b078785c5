"""URLs of the REST API (mounted at /api/v1/ by juchu.web.urls); the schema is at /api/v1/openapi.json."""

from juchu.api.api import api

app_name = "api"
urlpatterns = api.urls[0]
