from django.apps import AppConfig


class Config(AppConfig):
    name = "juchu.catalog"
    label = "catalog"
