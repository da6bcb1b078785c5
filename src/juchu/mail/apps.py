from django.apps import AppConfig


class Config(AppConfig):
    name = "juchu.mail"
    label = "mail"
