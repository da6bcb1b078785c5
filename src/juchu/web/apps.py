from django.apps import AppConfig


class Config(AppConfig):
    name = "juchu.web"
    label = "web"
