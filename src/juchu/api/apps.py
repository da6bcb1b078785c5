from django.apps import AppConfig


class Config(AppConfig):
    name = "juchu.api"
    label = "api"
    verbose_name = "REST API"
