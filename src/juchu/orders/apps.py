from django.apps import AppConfig


class Config(AppConfig):
    name = "juchu.orders"
    label = "orders"
