from django.apps import AppConfig


class Config(AppConfig):
    name = "juchu.shops"
    label = "shops"
