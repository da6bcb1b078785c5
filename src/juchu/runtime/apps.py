from django.apps import AppConfig


class Config(AppConfig):
    name = "juchu.runtime"
    label = "runtime"
