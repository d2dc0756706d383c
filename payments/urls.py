from django.urls import path

from .apis import banks

urlpatterns = [
    path("banks", banks.BankListApi.as_view(), name="banks-list"),
    path("banks/resolve", banks.BankAccountResolveApi.as_view(), name="banks-resolve"),
]
