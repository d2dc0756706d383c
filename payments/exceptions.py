"""Domain errors of the payments app (rendered by cozonpay.exceptions as the API envelope)."""

from cozonpay.exceptions import DomainError


class ProviderUnavailable(DomainError):
    """Monnify could not be reached or did not answer usably; nothing was accepted."""

    code = "provider_unavailable"
    http_status = 503
    default_message = "Our payment provider is unavailable. Please try again shortly."


class AccountNotFound(DomainError):
    code = "account_not_found"
    http_status = 422
    default_message = "No account with that number was found at that bank."
