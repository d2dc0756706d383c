from django.apps import AppConfig


class UsersConfig(AppConfig):
    name = "cozonpay.users"
    label = "users"
    verbose_name = "Users"
