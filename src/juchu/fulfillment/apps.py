from django.apps import AppConfig


class Config(AppConfig):
    name = "juchu.fulfillment"
    label = "fulfillment"
