from django.urls import path

from .apis import banks, deposits, disputes, notifications, transactions, withdrawals

urlpatterns = [
    path("banks", banks.BankListApi.as_view(), name="banks-list"),
    path("banks/resolve", banks.BankAccountResolveApi.as_view(), name="banks-resolve"),
    path("deposits", deposits.DepositCollectionApi.as_view(), name="deposits"),
    path("deposits/<uuid:deposit_id>", deposits.DepositDetailApi.as_view(), name="deposit-detail"),
    path("deposits/<uuid:deposit_id>/verify", deposits.DepositVerifyApi.as_view(), name="deposit-verify"),
    path("notifications", notifications.NotificationListApi.as_view(), name="notifications-list"),
    path("notifications/<uuid:id>/read", notifications.NotificationReadApi.as_view(), name="notifications-read"),
    path("transactions", transactions.TransactionListApi.as_view(), name="transactions-list"),
    path("disputes", disputes.DisputeListCreateApi.as_view(), name="disputes"),
    path("disputes/<uuid:dispute_id>", disputes.DisputeDetailApi.as_view(), name="dispute-detail"),
    path("withdrawals", withdrawals.WithdrawalListCreateApi.as_view(), name="withdrawals"),
    path("withdrawals/<uuid:withdrawal_id>", withdrawals.WithdrawalDetailApi.as_view(), name="withdrawal-detail"),
]
