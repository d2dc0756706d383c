from django.urls import path

from . import apis

urlpatterns = [
    path("banks", apis.BankListApi.as_view(), name="banks-list"),
    path("banks/resolve", apis.BankAccountResolveApi.as_view(), name="banks-resolve"),
]
