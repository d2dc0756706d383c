from django.urls import path

from .apis import banks, notifications, transactions

urlpatterns = [
    path("banks", banks.BankListApi.as_view(), name="banks-list"),
    path("banks/resolve", banks.BankAccountResolveApi.as_view(), name="banks-resolve"),
    path("notifications", notifications.NotificationListApi.as_view(), name="notifications-list"),
    path("notifications/<uuid:id>/read", notifications.NotificationReadApi.as_view(), name="notifications-read"),
    path("transactions", transactions.TransactionListApi.as_view(), name="transactions-list"),
]
