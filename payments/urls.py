from django.urls import path

from .apis import banks, withdrawals

urlpatterns = [
    path("banks", banks.BankListApi.as_view(), name="banks-list"),
    path("banks/resolve", banks.BankAccountResolveApi.as_view(), name="banks-resolve"),
    path("withdrawals", withdrawals.WithdrawalListCreateApi.as_view(), name="withdrawals"),
    path("withdrawals/<uuid:withdrawal_id>", withdrawals.WithdrawalDetailApi.as_view(), name="withdrawal-detail"),
]
